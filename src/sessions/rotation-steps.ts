import type { EntityManager } from 'typeorm';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { Session } from './entities/session.entity.js';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.js';

/*
 * The steps of a refresh-token rotation, each run inside the caller's transaction. Every
 * writer locks the session row before touching its tokens, so they cannot deadlock.
 */

/** The session, locked for this transaction, with its user's `isActive`. */
export function lockSessionWithUser(
  manager: EntityManager,
  sessionId: string,
): Promise<Session | null> {
  return manager
    .createQueryBuilder(Session, 'session')
    .innerJoin('session.user', 'user')
    .addSelect('user.isActive')
    .setLock('pessimistic_write', undefined, ['session'])
    .where('session.id = :sessionId', { sessionId })
    .getOne();
}

/** Marks the token used; false when someone already did. */
export async function claimRefreshToken(
  manager: EntityManager,
  tokenHash: string,
): Promise<boolean> {
  const claimed = await manager
    .createQueryBuilder()
    .update(RefreshToken)
    .set({ rotatedAt: new Date() })
    .where('token_hash = :tokenHash AND rotated_at IS NULL', { tokenHash })
    .execute();
  return claimed.affected === 1;
}

/** A new refresh token for the session; only its hash is stored. */
export async function issueRefreshToken(
  manager: EntityManager,
  sessionId: string,
): Promise<string> {
  const refreshToken = generateRefreshToken();
  await manager.insert(RefreshToken, {
    tokenHash: hashRefreshToken(refreshToken),
    sessionId,
    rotatedAt: null,
  });
  return refreshToken;
}
