import { createHmac, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { IsNull, type EntityManager } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.js';

/** The database's clock at this statement, not the transaction's start (`now()`). */
const WITHIN_GRACE = 'rotated_at > statement_timestamp() - make_interval(secs => :seconds)';

/**
 * The reuse grace (issue #23): a refresh answered but never received (two tabs refreshing at
 * once, a response lost on a flaky network) comes back with the token it rotated. Within
 * REFRESH_REUSE_GRACE_SECONDS, while the successor is still unused, it gets that same
 * successor again rather than ending the session (RFC 9700 §4.14.2 still holds after).
 *
 * No refresh token is stored to answer it, and no server key: each rotation draws a random
 * salt, keeps it on the rotated token's row, and makes the successor HMAC-SHA256(salt,
 * predecessor). A replay recomputes it from the plaintext it presents, and the stored hash
 * confirms it. The salt is forgotten as soon as the successor is used or the grace has
 * passed: from then on an old token yields nothing, whatever secret or dump someone holds.
 */
@Injectable()
export class RefreshGrace {
  readonly seconds: number;

  constructor(config: ConfigService<Configuration, true>) {
    this.seconds = config.get('sessions', { infer: true }).refreshReuseGraceSeconds;
  }

  /** A rotation's salt, 256 random bits; none when the grace is off. */
  newSalt(): Buffer | null {
    return this.seconds > 0 ? randomBytes(32) : null;
  }

  /** The token that follows `presented`: derived from the salt, random without one. */
  successorOf(presented: string, salt: Buffer | null): string {
    if (!salt) return generateRefreshToken();
    return createHmac('sha256', salt).update(presented, 'utf8').digest('base64url');
  }

  /**
   * For a token someone already rotated: its successor, when the rotation is younger than the
   * grace (by the database's clock) and that successor is the session's unused live token;
   * otherwise null, and the replay is reuse. Run under the session's row lock, which every
   * rotation takes: the successor cannot be used between this check and the answer.
   */
  async unusedSuccessor(
    manager: EntityManager,
    presented: string,
    sessionId: string,
  ): Promise<string | null> {
    if (this.seconds === 0) return null;
    const tokenHash = hashRefreshToken(presented);
    const row = await manager
      .createQueryBuilder(RefreshToken, 'token')
      .select('"token"."successor_salt"', 'salt')
      .addSelect(`"token".${WITHIN_GRACE}`, 'within')
      .where('"token"."token_hash" = :tokenHash AND "token"."session_id" = :sessionId', {
        tokenHash,
        sessionId,
      })
      .setParameter('seconds', this.seconds)
      .getRawOne<{ salt: Buffer | null; within: boolean }>();
    if (!row?.salt) return null;
    const successor = this.successorOf(presented, row.salt);
    const unused =
      row.within &&
      (await manager.existsBy(RefreshToken, {
        sessionId,
        tokenHash: hashRefreshToken(successor),
        rotatedAt: IsNull(),
      }));
    if (unused) return successor;
    // Its grace is over: the salt goes now, not at the next sweep.
    await manager.update(RefreshToken, { tokenHash }, { successorSalt: null });
    return null;
  }

  /**
   * The session's token `claimedHash` was just used: the salt its successor came from, and any
   * other of the session's, are no longer needed. Under the session's lock, in the rotation.
   */
  async forgetSaltsBefore(
    manager: EntityManager,
    sessionId: string,
    claimedHash: string,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(RefreshToken)
      .set({ successorSalt: null })
      .where('session_id = :sessionId AND token_hash <> :claimedHash', { sessionId, claimedHash })
      .andWhere('successor_salt IS NOT NULL')
      .execute();
  }

  /** Forgets every salt whose grace has passed (the periodic prune); how many it cleared. */
  async sweep(manager: EntityManager): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshToken)
      .set({ successorSalt: null })
      .where('successor_salt IS NOT NULL')
      .andWhere(`NOT (${WITHIN_GRACE})`, { seconds: this.seconds })
      .execute();
    return result.affected ?? 0;
  }
}
