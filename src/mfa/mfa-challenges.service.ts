import { createHash, randomBytes } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, type EntityManager, type Repository } from 'typeorm';
import type { ClientInfo } from '../common/http/client-address.js';
import { runPeriodically } from '../platform/periodic-task.js';
import { MfaChallenge } from './entities/mfa-challenge.entity.js';

/** An `mfa_token` lives 5 minutes (issue #20): long enough to open the app, not to wander off. */
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** Code checks one `mfa_token` allows; then the login starts again from the password. */
export const MAX_CHECKS_PER_MFA_TOKEN = 5;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** 256 random bits: a fast hash is enough to store it (as refresh tokens). */
const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * One check spent, atomically: of any number of concurrent verifies on one token, at most
 * MAX_CHECKS get a row back. Bound to the client that logged in (address and User-Agent);
 * another client's attempt spends nothing and learns nothing.
 */
const CLAIM_CHECK = `
UPDATE mfa_challenges SET attempts = attempts + 1
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
  AND ip_address = $3 AND user_agent IS NOT DISTINCT FROM $4
RETURNING user_id AS "userId", provider`;

export interface ClaimedCheck {
  userId: string;
  /** The provider of a social login's first step (issue #21); null after a password. */
  provider: string | null;
}

/** The pending second step of logins: issued after the password, used up by the code. */
@Injectable()
export class MfaChallengesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MfaChallengesService.name);
  private stopPruning?: () => void;

  constructor(
    @InjectRepository(MfaChallenge) private readonly challenges: Repository<MfaChallenge>,
  ) {}

  async start(userId: string, provider: string | null, client: ClientInfo): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.challenges
      .createQueryBuilder()
      .insert()
      .values({
        tokenHash: hashOf(token),
        userId,
        provider,
        ipAddress: client.ipAddress,
        userAgent: client.userAgent,
        requestId: client.requestId,
        attempts: 0,
        // The database's clock, as CLAIM_CHECK compares it: the app's may differ.
        expiresAt: () => `now() + make_interval(secs => ${MFA_TOKEN_TTL_SECONDS})`,
        usedAt: null,
      })
      .execute();
    return token;
  }

  /** Spends one of the token's checks; null when it has none left (or is not this client's). */
  async claimCheck(token: string, client: ClientInfo): Promise<ClaimedCheck | null> {
    const [rows] = await this.challenges.query<[ClaimedCheck[], number]>(CLAIM_CHECK, [
      hashOf(token),
      MAX_CHECKS_PER_MFA_TOKEN,
      client.ipAddress,
      client.userAgent,
    ]);
    return rows[0] ?? null;
  }

  /** Uses the token up; false if a concurrent verify already did. */
  async complete(token: string): Promise<boolean> {
    const result = await this.challenges
      .createQueryBuilder()
      .update(MfaChallenge)
      .set({ usedAt: new Date() })
      .where('token_hash = :hash AND used_at IS NULL', { hash: hashOf(token) })
      .execute();
    return result.affected === 1;
  }

  /** Ends every pending second step of the user's logins (in the caller's transaction, if any). */
  async cancelForUser(
    userId: string,
    manager: EntityManager = this.challenges.manager,
  ): Promise<number> {
    const result = await manager.delete(MfaChallenge, { userId, usedAt: IsNull() });
    return result.affected ?? 0;
  }

  async pruneExpired(now = new Date()): Promise<number> {
    const result = await this.challenges.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning mfa challenges',
      PRUNE_EVERY_MS,
      () => this.pruneExpired(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
  }
}
