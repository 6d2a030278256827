import type { EntityManager } from 'typeorm';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { Session } from './entities/session.entity.js';
import { generateRefreshToken, hashRefreshToken } from './refresh-token.js';

/** What a session records of its client; a request's ClientInfo fits. */
export interface SessionClient {
  userAgent: string | null;
  ipAddress: string | null;
}

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

/**
 * Marks the token used, keeping the salt its successor is derived with (issue #23, null when
 * the grace is off); false when someone already did. The database's clock at this statement:
 * the reuse grace is measured from it by whichever instance sees the replay.
 */
export async function claimRefreshToken(
  manager: EntityManager,
  tokenHash: string,
  successorSalt: Buffer | null,
): Promise<boolean> {
  const claimed = await manager
    .createQueryBuilder()
    .update(RefreshToken)
    .set({ rotatedAt: () => 'statement_timestamp()', successorSalt })
    .where('token_hash = :tokenHash AND rotated_at IS NULL', { tokenHash })
    .execute();
  return claimed.affected === 1;
}

/** A new refresh token for the session (random unless given); only its hash is stored. */
export async function issueRefreshToken(
  manager: EntityManager,
  sessionId: string,
  refreshToken = generateRefreshToken(),
): Promise<string> {
  await manager.insert(RefreshToken, {
    tokenHash: hashRefreshToken(refreshToken),
    sessionId,
    rotatedAt: null,
  });
  return refreshToken;
}

/**
 * Refreshing keeps a session alive: its expiry slides `ttlMs` ahead, its device details follow
 * the client. An impersonated session's end stays where it was set (issue #19: never past its
 * hour).
 */
export async function slideSession(
  manager: EntityManager,
  session: Session,
  client: SessionClient,
  ttlMs: number,
): Promise<void> {
  session.lastUsedAt = new Date();
  if (!session.impersonated) session.expiresAt = new Date(session.lastUsedAt.getTime() + ttlMs);
  session.userAgent = client.userAgent ?? session.userAgent;
  session.ipAddress = client.ipAddress ?? session.ipAddress;
  const { lastUsedAt, expiresAt, userAgent, ipAddress } = session;
  await manager.update(
    Session,
    { id: session.id },
    { lastUsedAt, expiresAt, userAgent, ipAddress },
  );
}
