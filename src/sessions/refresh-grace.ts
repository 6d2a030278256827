import { createHmac, hkdfSync } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.js';

/** HKDF's `info`: this key serves nothing else, and JWT_SECRET is never used as it. */
const KEY_PURPOSE = 'whazz-auth/refresh-token-successor/v1';

/**
 * The reuse grace (issue #23): a refresh answered but never received (two tabs refreshing at
 * once, a response lost on a flaky network) comes back with the token it rotated. Within
 * REFRESH_REUSE_GRACE_SECONDS, while the successor is still unused, it gets that same
 * successor again rather than ending the session (RFC 9700 §4.14.2 still holds after).
 *
 * No refresh token is stored to answer it: while the grace is on, a successor is
 * HMAC-SHA256(key, predecessor), so a replay recomputes it and the stored hash confirms it.
 * The key is derived with HKDF from JWT_SECRET, which production already refuses missing,
 * short or published: no new secret to deploy, and instances sharing the database share it.
 * A database dump holds hashes only, and without the key no token yields its successor.
 */
@Injectable()
export class RefreshGrace {
  readonly seconds: number;
  private readonly key: Buffer | null;

  constructor(config: ConfigService<Configuration, true>) {
    this.seconds = config.get('sessions', { infer: true }).refreshReuseGraceSeconds;
    const secret = config.get('tokens', { infer: true }).jwtSecret;
    // Production refuses to start without JWT_SECRET; never derive from an empty one.
    if (this.seconds > 0 && secret === '') {
      throw new Error('REFRESH_REUSE_GRACE_SECONDS needs JWT_SECRET to derive its key');
    }
    this.key =
      this.seconds > 0
        ? Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), '', KEY_PURPOSE, 32))
        : null;
  }

  /** The token that follows `presented`: derived while the grace is on, random without it. */
  successorOf(presented: string): string {
    if (!this.key) return generateRefreshToken();
    return createHmac('sha256', this.key).update(presented, 'utf8').digest('base64url');
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
    if (!this.key) return null;
    const successor = this.successorOf(presented);
    const withinGrace = await manager
      .createQueryBuilder(RefreshToken, 'successor')
      .innerJoin(RefreshToken, 'predecessor', 'predecessor.sessionId = successor.sessionId')
      .where('successor.sessionId = :sessionId', { sessionId })
      .andWhere('successor.tokenHash = :successorHash', {
        successorHash: hashRefreshToken(successor),
      })
      .andWhere('successor.rotatedAt IS NULL')
      .andWhere('predecessor.tokenHash = :presentedHash', {
        presentedHash: hashRefreshToken(presented),
      })
      .andWhere('predecessor.rotatedAt > now() - make_interval(secs => :seconds)', {
        seconds: this.seconds,
      })
      .getExists();
    return withinGrace ? successor : null;
  }
}
