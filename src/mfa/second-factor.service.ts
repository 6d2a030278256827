import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { ClientInfo } from '../common/http/client-address.js';
import type { Configuration } from '../config/configuration.js';
import { StartupRefusalError } from '../config/startup-refusal.js';
import { LoginBackoffService } from '../login-backoff/login-backoff.service.js';
import { MailService } from '../mail/mail.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { MFA_TOKEN_TTL_SECONDS, MfaChallengesService } from './mfa-challenges.service.js';
import { mfaMails } from './mfa-mails.js';
import {
  InvalidMfaCodeError,
  InvalidMfaTokenError,
  MfaRequiredError,
  StepUpRequiredError,
  WrongMfaCodeError,
  type SecondFactorMethod,
} from './mfa.errors.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { TotpFactorsService } from './totp-factors.service.js';

/** A code from the app, or a recovery code: exactly one is checked. */
export interface SecondFactorProof {
  code?: string;
  recoveryCode?: string;
}

const METHODS: readonly SecondFactorMethod[] = ['totp', 'recovery_code'];
const TOTP_CODE = /^\d{6}$/;

/**
 * Checking a second factor wherever one is asked for: the login's second step, step-up, and
 * the enrolment routes. Every wrong code records `mfa_failed` and counts towards the user's
 * own backoff (`{ userId }`), never the login name's: strangers guessing passwords keep the
 * name's running, and must not keep the owner from their code (issue #20). Only someone past
 * the password, or holding a session, can raise the user's.
 */
@Injectable()
export class SecondFactorService implements OnModuleInit {
  private readonly logger = new Logger(SecondFactorService.name);
  private readonly production: boolean;
  private readonly hasKey: boolean;
  private readonly requiredRoles: ReadonlySet<string>;

  constructor(
    private readonly totp: TotpFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly challenges: MfaChallengesService,
    private readonly backoff: LoginBackoffService,
    private readonly events: SecurityEventsService,
    private readonly mail: MailService,
    private readonly users: UsersService,
    config: ConfigService<Configuration, true>,
  ) {
    this.production = config.get('app', { infer: true }).environment === 'production';
    this.hasKey = config.get('mfa', { infer: true }).currentKey !== null;
    this.requiredRoles = new Set(config.get('mfa', { infer: true }).requiredRoles);
  }

  /**
   * Refuses to start where secrets exist but cannot be read: production without a key once
   * anyone has a second factor (configuration cannot see the database, so it is checked
   * here), or any secret sealed under a key no longer configured. It re-seals nothing:
   * instances still on the old key must keep reading every secret during a rolling deploy,
   * so that waits for `npm run mfa -- reseal` (docs/security.md, key rotation).
   */
  async onModuleInit(): Promise<void> {
    if (this.production && !this.hasKey && (await this.totp.anyConfirmed())) {
      throw new StartupRefusalError([
        'MFA_ENCRYPTION_KEY: must be set: users have two-step verification, and their TOTP secrets cannot be read without it',
      ]);
    }
    const unreadable = await this.totp.countUnreadable();
    if (unreadable > 0) {
      throw new StartupRefusalError([
        `MFA_ENCRYPTION_KEY: ${unreadable} TOTP secret(s) were encrypted with a key that is neither MFA_ENCRYPTION_KEY nor in MFA_PREVIOUS_ENCRYPTION_KEYS; add it back (docs/security.md, key rotation)`,
      ]);
    }
  }

  isEnrolled(userId: string): Promise<boolean> {
    return this.totp.isEnrolled(userId);
  }

  /** MFA_REQUIRED_ROLES: whether holding `roles` obliges a second factor (issue #20). */
  requiresEnrolment(roles: readonly string[]): boolean {
    return roles.some((role) => this.requiredRoles.has(role));
  }

  /**
   * The second step of a login: nothing is issued yet, the answer carries the mfa_token.
   * `provider`: the social login's (issue #21), null after a password.
   */
  async challenge(userId: string, provider: string | null, client: ClientInfo): Promise<never> {
    const token = await this.challenges.start(userId, provider, client);
    throw new MfaRequiredError(token, METHODS, MFA_TOKEN_TTL_SECONDS);
  }

  /** The user whose login the code completes, and its first step's provider; the token is used up. */
  async completeLogin(
    token: string,
    proof: SecondFactorProof,
    client: ClientInfo,
  ): Promise<{ user: User; provider: string | null }> {
    const claimed = await this.challenges.claimCheck(token, client);
    const user = claimed && (await this.users.findById(claimed.userId));
    if (!claimed || !user) throw new InvalidMfaTokenError();
    await this.prove(user, proof, client, () => new InvalidMfaCodeError());
    // Two right codes at once: the second finds the token used.
    if (!(await this.challenges.complete(token))) throw new InvalidMfaTokenError();
    return { user, provider: claimed.provider };
  }

  /** Step-up (issue #20): an enrolled account proves its second factor with this request. */
  async stepUp(user: User, presented: string | undefined, client: ClientInfo): Promise<void> {
    if (!(await this.isEnrolled(user.id))) return;
    if (!presented) throw new StepUpRequiredError();
    const proof = TOTP_CODE.test(presented) ? { code: presented } : { recoveryCode: presented };
    await this.prove(user, proof, client, () => new WrongMfaCodeError('X-MFA-Code'));
  }

  /**
   * Checks the proof as one attempt of the user's own backoff: counted before the check (so a
   * burst cannot outrun the backoff), forgotten when it passes. Username and email are one
   * count here, so logging in by both does not double the guesses.
   */
  prove(
    user: User,
    proof: SecondFactorProof,
    client: ClientInfo,
    wrong: () => Error,
  ): Promise<SecondFactorMethod> {
    const subject = { userId: user.id };
    return this.backoff.serialise(subject, async () => {
      await this.backoff.beginAttempt(subject);
      const method = await this.check(user, proof, client);
      if (!method) {
        const reason = proof.code !== undefined ? 'wrong_code' : 'wrong_recovery_code';
        await this.events.record({ type: 'mfa_failed', userId: user.id, reason, client });
        throw wrong();
      }
      await this.backoff.succeeded(subject);
      return method;
    });
  }

  /**
   * Pending second steps of the user's logins end: a new password, or the factor gone, must
   * not leave an `mfa_token` from before it completing a login (issue #20).
   */
  cancelPendingLogins(userId: string, manager?: EntityManager): Promise<number> {
    return this.challenges.cancelForUser(userId, manager);
  }

  private async check(
    user: User,
    { code, recoveryCode }: SecondFactorProof,
    client: ClientInfo,
  ): Promise<SecondFactorMethod | null> {
    if (code !== undefined) return (await this.totp.acceptCode(user.id, code)) ? 'totp' : null;
    if (recoveryCode === undefined || !(await this.recoveryCodes.spend(user.id, recoveryCode))) {
      return null;
    }
    await this.events.record({ type: 'recovery_code_used', userId: user.id, client });
    const remaining = await this.recoveryCodes.remaining(user.id);
    this.mail.send(mfaMails.recoveryCodeUsed(user.email, remaining));
    this.logger.log({ msg: 'recovery code used', user_id: user.id, remaining });
    return 'recovery_code';
  }
}
