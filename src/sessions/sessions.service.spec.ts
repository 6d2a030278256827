import { randomUUID } from 'node:crypto';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChangeFeedModule } from '../platform/change-feed/change-feed.module.js';
import { buildConfiguration } from '../config/configuration.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { User } from '../users/entities/user.entity.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { Session } from './entities/session.entity.js';
import { hashRefreshToken } from './refresh-token.js';
import type { RotationOutcome } from './rotation-outcome.js';
import { SessionsModule } from './sessions.module.js';
import { SessionsService } from './sessions.service.js';

/** The `iat` of an access token issued now. */
const issuedNow = () => Math.floor(Date.now() / 1000);

const client = { userAgent: 'spec', ipAddress: '127.0.0.1' };

/** The sessions module alone, on the run's real, migrated database, with `env` on top. */
async function sessionsModule(env: Record<string, string> = {}): Promise<TestingModule> {
  const configuration = buildConfiguration({ NODE_ENV: 'test', JWT_SECRET: 'spec-secret', ...env });
  return Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        load: [() => ({ ...configuration })],
      }),
      TypeOrmModule.forRoot(
        dataSourceOptions({ url: inject('databaseUrl'), poolSize: inject('databasePoolSize') }),
      ),
      ChangeFeedModule,
      SessionsModule,
    ],
  }).compile();
}

async function newUserIdIn(dataSource: DataSource): Promise<string> {
  const id = randomUUID();
  const name = `spec_${id.slice(0, 8)}`;
  await dataSource.getRepository(User).insert({
    id,
    email: `${name}@example.com`,
    username: name,
    usernameNormalized: name,
    passwordHash: '$2b$04$notarealhashnotarealhashnotarealhashnotarealhashnotar',
  });
  return id;
}

/** SessionsService against the run's real, migrated database (never a mocked repository). */
describe('SessionsService', () => {
  let moduleRef: TestingModule;
  let sessions: SessionsService;
  let dataSource: DataSource;

  beforeAll(async () => {
    // Without the reuse grace (issue #23): every replay is reuse, as before it.
    moduleRef = await sessionsModule({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    sessions = moduleRef.get(SessionsService);
    dataSource = moduleRef.get(DataSource);
  });
  afterAll(() => moduleRef.close());

  const newUserId = () => newUserIdIn(dataSource);

  it('rotates a live token into a new one and keeps the session', async () => {
    const { session, refreshToken } = await sessions.start(await newUserId(), client);
    const outcome = await sessions.rotate(refreshToken, { userAgent: 'newer', ipAddress: null });

    expect(outcome.kind).toBe('rotated');
    if (outcome.kind !== 'rotated') return;
    expect(outcome.session.id).toBe(session.id);
    expect(outcome.refreshToken).not.toBe(refreshToken);
    expect(outcome.session.userAgent).toBe('newer');
    expect(outcome.session.ipAddress).toBe('127.0.0.1');
    expect(outcome.session.expiresAt.getTime()).toBeGreaterThanOrEqual(session.expiresAt.getTime());
  });

  it('revokes the session when a rotated token comes back, and refuses its successor', async () => {
    const userId = await newUserId();
    const { session, refreshToken } = await sessions.start(userId, client);
    const rotated = await sessions.rotate(refreshToken, client);
    const replay = await sessions.rotate(refreshToken, client);

    expect(replay).toEqual({ kind: 'reused', sessionId: session.id, userId: session.userId });
    expect(await sessions.isActive(session.id, userId, issuedNow())).toBe(false);
    if (rotated.kind === 'rotated')
      expect((await sessions.rotate(rotated.refreshToken, client)).kind).toBe('ended');
  });

  it('claims a token once among concurrent rotations', async () => {
    const { refreshToken } = await sessions.start(await newUserId(), client);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => sessions.rotate(refreshToken, client)),
    );
    // The first to lock the session rotates; the next finds the token used (reuse) and
    // revokes the session; the rest find it ended. Whatever the order, that is the tally.
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual([
      'ended',
      'ended',
      'ended',
      'ended',
      'reused',
      'rotated',
    ]);
  });

  it('calls a token it never issued unknown', async () => {
    expect(await sessions.rotate('never-issued', client)).toEqual({ kind: 'unknown' });
  });

  it('does not count another user’s session as active for this user', async () => {
    const { session } = await sessions.start(await newUserId(), client);
    expect(await sessions.isActive(session.id, await newUserId(), issuedNow())).toBe(false);
  });

  it('lists only live sessions, newest use first', async () => {
    const userId = await newUserId();
    const older = await sessions.start(userId, client);
    const newer = await sessions.start(userId, client);
    const ended = await sessions.start(userId, client);
    await sessions.revoke(ended.session.id, 'logout');
    await dataSource
      .getRepository(Session)
      .update({ id: newer.session.id }, { lastUsedAt: new Date(Date.now() + 1000) });

    expect((await sessions.listActive(userId)).map((session) => session.id)).toEqual([
      newer.session.id,
      older.session.id,
    ]);
  });

  it('revokes all of a user’s sessions and reports how many', async () => {
    const userId = await newUserId();
    await sessions.start(userId, client);
    await sessions.start(userId, client);
    expect(await sessions.revokeAllForUser(userId, 'logout_all')).toBe(2);
    expect(await sessions.revokeAllForUser(userId, 'logout_all')).toBe(0);
  });

  it('prunes only sessions that ended more than an access-token lifetime ago', async () => {
    const userId = await newUserId();
    const recent = await sessions.start(userId, client);
    const old = await sessions.start(userId, client);
    await sessions.revoke(recent.session.id, 'logout');
    await dataSource
      .getRepository(Session)
      .update({ id: old.session.id }, { expiresAt: new Date(Date.now() - 16 * 60_000) });

    await sessions.pruneEnded();
    const remaining = await dataSource.getRepository(Session).findBy({ userId });
    expect(remaining.map((session) => session.id)).toEqual([recent.session.id]);
  });
});

/** Issue #23: a replay within REFRESH_REUSE_GRACE_SECONDS, before the successor is used. */
describe('SessionsService with the reuse grace', () => {
  let moduleRef: TestingModule;
  let sessions: SessionsService;
  let dataSource: DataSource;

  beforeAll(async () => {
    moduleRef = await sessionsModule({ REFRESH_REUSE_GRACE_SECONDS: '10' });
    sessions = moduleRef.get(SessionsService);
    dataSource = moduleRef.get(DataSource);
  });
  afterAll(() => moduleRef.close());

  const liveTokens = (sessionId: string) =>
    dataSource.getRepository(RefreshToken).countBy({ sessionId, rotatedAt: IsNull() });
  const tokenOf = (outcome: RotationOutcome) =>
    outcome.kind === 'rotated' || outcome.kind === 'replayed' ? outcome.refreshToken : null;

  it('answers a replay with the same successor, and mints nothing', async () => {
    const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
    const rotated = await sessions.rotate(refreshToken, client);
    const replay = await sessions.rotate(refreshToken, client);

    expect(rotated.kind).toBe('rotated');
    expect(replay.kind).toBe('replayed');
    expect(tokenOf(replay)).toBe(tokenOf(rotated));
    expect(await liveTokens(session.id)).toBe(1);
    expect(await sessions.isActive(session.id, session.userId, issuedNow())).toBe(true);
  });

  it('answers every concurrent rotation with one successor', async () => {
    const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => sessions.rotate(refreshToken, client)),
    );
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual([
      'replayed',
      'replayed',
      'replayed',
      'replayed',
      'replayed',
      'rotated',
    ]);
    expect(new Set(outcomes.map(tokenOf)).size).toBe(1);
    expect(await liveTokens(session.id)).toBe(1);
  });

  it('is reuse once the successor was used', async () => {
    const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
    const rotated = await sessions.rotate(refreshToken, client);
    expect((await sessions.rotate(tokenOf(rotated)!, client)).kind).toBe('rotated');

    expect((await sessions.rotate(refreshToken, client)).kind).toBe('reused');
    expect(await sessions.isActive(session.id, session.userId, issuedNow())).toBe(false);
  });

  it('is reuse past the grace, by the database clock', async () => {
    const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
    await sessions.rotate(refreshToken, client);
    await dataSource.query(
      `UPDATE refresh_tokens SET rotated_at = statement_timestamp() - interval '11 seconds' WHERE token_hash = $1`,
      [hashRefreshToken(refreshToken)],
    );

    expect((await sessions.rotate(refreshToken, client)).kind).toBe('reused');
    expect(await sessions.isActive(session.id, session.userId, issuedNow())).toBe(false);
  });

  it('is reuse when the rotation kept no salt (an instance with the grace off rotated it)', async () => {
    const other = await sessionsModule({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    try {
      const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
      expect((await other.get(SessionsService).rotate(refreshToken, client)).kind).toBe('rotated');
      expect((await sessions.rotate(refreshToken, client)).kind).toBe('reused');
      expect(await sessions.isActive(session.id, session.userId, issuedNow())).toBe(false);
    } finally {
      await other.close();
    }
  });

  const salts = async (sessionId: string) =>
    (
      await dataSource.query<{ salted: number }[]>(
        `SELECT count(*)::int AS salted FROM refresh_tokens WHERE session_id = $1 AND successor_salt IS NOT NULL`,
        [sessionId],
      )
    )[0]!.salted;

  it('keeps a salt only until the successor is used', async () => {
    const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
    const rotated = await sessions.rotate(refreshToken, client);
    expect(await salts(session.id)).toBe(1);
    const next = await sessions.rotate(tokenOf(rotated)!, client);
    // The new rotation's own salt, and nothing older.
    expect(await salts(session.id)).toBe(1);
    await sessions.rotate(tokenOf(next)!, client);
    expect(await salts(session.id)).toBe(1);
  });

  it('forgets salts past the grace at the periodic prune', async () => {
    const { session, refreshToken } = await sessions.start(await newUserIdIn(dataSource), client);
    await sessions.rotate(refreshToken, client);
    await dataSource.query(
      `UPDATE refresh_tokens SET rotated_at = statement_timestamp() - interval '11 seconds' WHERE session_id = $1 AND rotated_at IS NOT NULL`,
      [session.id],
    );
    await sessions.pruneEnded();
    expect(await salts(session.id)).toBe(0);
  });
});
