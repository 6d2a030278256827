import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Raw, type Repository } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { runPeriodically } from '../platform/periodic-task.js';
import { OAuthLoginCode } from './entities/oauth-login-code.entity.js';
import { OAuthState } from './entities/oauth-state.entity.js';
import type { OAuthConfig } from './oauth.config.js';
import type { ProviderProfile } from './provider-clients.service.js';

export type NewSignInState = Pick<
  OAuthState,
  | 'provider'
  | 'redirectUri'
  | 'appState'
  | 'codeVerifier'
  | 'appCodeChallenge'
  | 'nonce'
  | 'linkUserId'
> & { state: string };

/** What a login or link code carries to its exchange. */
export interface RedeemedCode {
  profile: ProviderProfile;
  /** The app's PKCE S256 challenge, when it sent one at authorize. */
  codeChallenge: string | null;
  /** Set for a link code: who started linking. */
  linkUserId: string | null;
}

/** Expiries are written, as they are checked, with the database's clock: one clock only. */
const inSeconds = (seconds: number) => () => `now() + make_interval(secs => ${Number(seconds)})`;

const PRUNE_EVERY_MS = 5 * 60 * 1000;

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** TypeORM answers a DELETE … RETURNING with [rows, affected count]. */
type Deleted<Row> = [Row[], number];

/**
 * The two hand-offs of a social sign-in (issue #21), both stored only as a SHA-256, both used
 * once by a DELETE … RETURNING (of two concurrent uses exactly one gets the row), both short:
 * the `state` that goes to the provider and back, and the login code the app exchanges.
 */
@Injectable()
export class OAuthHandoffsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OAuthHandoffsService.name);
  private readonly settings: OAuthConfig;
  private stopPruning?: () => void;

  constructor(
    @InjectRepository(OAuthState) private readonly states: Repository<OAuthState>,
    @InjectRepository(OAuthLoginCode) private readonly codes: Repository<OAuthLoginCode>,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('oauth', { infer: true });
  }

  async saveState({ state, ...request }: NewSignInState): Promise<void> {
    await this.states.insert({
      id: randomUUID(),
      stateHash: sha256(state),
      expiresAt: inSeconds(this.settings.stateTtlSeconds),
      ...request,
    });
  }

  /** The sign-in `state` started for `provider`, used up; undefined if it is not usable. */
  async takeState(state: string, provider: string): Promise<OAuthState | undefined> {
    const [rows] = await this.states.query<Deleted<Record<string, unknown>>>(
      `DELETE FROM oauth_states
       WHERE state_hash = $1 AND provider = $2 AND expires_at > now()
       RETURNING redirect_uri, app_state, code_verifier, app_code_challenge, nonce, link_user_id`,
      [sha256(state), provider],
    );
    const [row] = rows;
    if (!row) return undefined;
    return Object.assign(new OAuthState(), {
      provider,
      redirectUri: row.redirect_uri as string,
      appState: row.app_state as string | null,
      codeVerifier: row.code_verifier as string,
      appCodeChallenge: row.app_code_challenge as string | null,
      nonce: row.nonce as string | null,
      linkUserId: row.link_user_id as string | null,
    });
  }

  /**
   * A one-time code for what the provider proved: 256 random bits, URL-safe. With
   * `linkUserId`, a link code, which only that user can complete.
   */
  async issueCode(
    profile: ProviderProfile,
    started: Pick<OAuthState, 'appCodeChallenge' | 'linkUserId'>,
  ): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.codes.insert({
      id: randomUUID(),
      codeHash: sha256(code),
      provider: profile.provider,
      subject: profile.subject,
      email: profile.email,
      emailVerified: profile.emailVerified,
      nameHint: profile.nameHint?.slice(0, 255) ?? null,
      codeChallenge: started.appCodeChallenge,
      linkUserId: started.linkUserId,
      expiresAt: inSeconds(this.settings.loginCodeTtlSeconds),
    });
    return code;
  }

  /**
   * The code, used up whatever follows: a login code only at the login's exchange, a link
   * code only at the link's (one kind is never accepted for the other).
   */
  async redeemCode(code: string, kind: 'login' | 'link'): Promise<RedeemedCode | undefined> {
    const linkCondition = kind === 'login' ? 'link_user_id IS NULL' : 'link_user_id IS NOT NULL';
    const [rows] = await this.codes.query<Deleted<Record<string, unknown>>>(
      `DELETE FROM oauth_login_codes
       WHERE code_hash = $1 AND expires_at > now() AND ${linkCondition}
       RETURNING provider, subject, email, email_verified, name_hint, code_challenge, link_user_id`,
      [sha256(code)],
    );
    const [row] = rows;
    if (!row) return undefined;
    return {
      profile: {
        provider: row.provider as string,
        subject: row.subject as string,
        email: row.email as string | null,
        emailVerified: row.email_verified as boolean,
        nameHint: row.name_hint as string | null,
      },
      codeChallenge: row.code_challenge as string | null,
      linkUserId: row.link_user_id as string | null,
    };
  }

  async pruneExpired(): Promise<void> {
    const expired = { expiresAt: Raw((column) => `${column} <= now()`) };
    await this.states.delete(expired);
    await this.codes.delete(expired);
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning social sign-in states and codes',
      PRUNE_EVERY_MS,
      () => this.pruneExpired(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
  }
}
