import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildConfiguration } from '../config/configuration.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { Session } from './entities/session.entity.js';
import { SessionsModule } from './sessions.module.js';
import { SessionsService } from './sessions.service.js';
import { User } from '../users/entities/user.entity.js';
import { ChangeFeedModule } from '../platform/change-feed/change-feed.module.js';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import {
  MAX_PAYLOAD_BYTES,
  NOTIFY_CHANNEL,
  parseNotification,
} from '../platform/change-feed/postgres-notification.js';

/** The `iat` of an access token issued now. */
const issuedNow = () => Math.floor(Date.now() / 1000);

const onServer = inject('databaseKind') === 'server';

/** Waits until `check` holds, at most `timeout` ms. */
const until = (timeout: number, check: () => boolean) =>
  expect.poll(check, { timeout, interval: 20 }).toBe(true);

/**
 * The feed on the run's real PostgreSQL server, without Redis: notifications sent inside the
 * transactions that make the changes, heard on a connection of its own. The embedded PGlite
 * cannot deliver a notification to another connection, so this runs on a server only.
 */
describe.runIf(onServer)('session revocations through PostgreSQL LISTEN/NOTIFY', () => {
  let moduleRef: TestingModule;
  let feed: ChangeFeedService;
  let sessions: SessionsService;
  let dataSource: DataSource;
  /** Another connection listening on the channel: what every other instance would hear. */
  let observer: pg.Client;
  const heard: string[] = [];
  const logged: unknown[] = [];

  beforeAll(async () => {
    vi.spyOn(Logger.prototype, 'log').mockImplementation((message) => logged.push(message));
    vi.spyOn(Logger.prototype, 'warn').mockImplementation((message) => logged.push(message));
    vi.spyOn(Logger.prototype, 'error').mockImplementation((message) => logged.push(message));
    const databaseUrl = inject('databaseUrl');
    const configuration = buildConfiguration({
      NODE_ENV: 'test',
      JWT_SECRET: 'spec-secret',
      DATABASE_URL: databaseUrl,
      // No poll within these tests: whatever memory learns, it learns from notifications.
      CHANGE_FEED_POLL_SECONDS: '3600',
    });
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => configuration] }),
        TypeOrmModule.forRoot(
          dataSourceOptions({ url: databaseUrl, poolSize: inject('databasePoolSize') }),
        ),
        ChangeFeedModule,
        SessionsModule,
      ],
    }).compile();
    await moduleRef.init();
    feed = moduleRef.get(ChangeFeedService);
    sessions = moduleRef.get(SessionsService);
    dataSource = moduleRef.get(DataSource);
    observer = new pg.Client({ connectionString: databaseUrl });
    await observer.connect();
    observer.on('notification', ({ payload }) => heard.push(payload ?? ''));
    await observer.query(`LISTEN "${NOTIFY_CHANNEL}"`);
  });
  afterAll(async () => {
    await observer.end();
    await moduleRef.close();
    vi.restoreAllMocks();
  });

  /** Session ids announced as revoked, among everything heard (other suites share the channel). */
  function revokedIdsHeard(): string[] {
    return heard.flatMap((payload) => {
      const notification = parseNotification(payload);
      if (notification?.kind !== 'change' || notification.topic !== 'sessions-revoked') return [];
      return (notification.entries as [string, number][]).map(([id]) => id);
    });
  }

  async function newUserId(): Promise<string> {
    const id = randomUUID();
    const name = `feed_${id.slice(0, 8)}`;
    await dataSource.getRepository(User).insert({
      id,
      email: `${name}@example.com`,
      username: name,
      usernameNormalized: name,
      passwordHash: '$2b$04$notarealhashnotarealhashnotarealhashnotarealhashnotar',
    });
    return id;
  }

  const client = { userAgent: 'spec', ipAddress: null };
  const newSession = async (userId: string) => (await sessions.start(userId, client)).session.id;

  it('is live once listening and seeded', () => {
    expect(feed.live).toBe(true);
  });

  it('sends nothing for a revocation that rolls back, and a committed one only at the commit', async () => {
    const userId = await newUserId();
    const [rolledBack, committed] = [await newSession(userId), await newSession(userId)];

    const revokeThen = (id: string, after: () => Promise<void>) =>
      feed.transaction(async (manager, announce) => {
        await manager.update(Session, { id }, { revokedAt: new Date(), revokedReason: 'logout' });
        await announce('sessions-revoked', [[id, Date.now()]]);
        await after();
      });
    await expect(
      revokeThen(rolledBack, () => Promise.reject(new Error('rolled back'))),
    ).rejects.toThrow('rolled back');
    await revokeThen(committed, async () => {
      // Announced, not yet committed: nobody hears it yet.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(revokedIdsHeard()).not.toContain(committed);
    });

    // Notifications arrive in commit order: once the committed one is heard, nothing else is coming.
    await until(1000, () => revokedIdsHeard().includes(committed));
    expect(revokedIdsHeard()).not.toContain(rolledBack);
    expect(sessions.isActive(rolledBack, userId, issuedNow())).toBe(true);
    expect(sessions.isActive(committed, userId, issuedNow())).toBe(false);
  });

  it('announces a thousand revocations in payloads PostgreSQL accepts, and every one arrives', async () => {
    const userId = await newUserId();
    const ids = Array.from({ length: 1000 }, () => randomUUID());
    const now = new Date();
    await dataSource.getRepository(Session).insert(
      ids.map((id) => ({
        id,
        userId,
        userAgent: null,
        ipAddress: null,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + 60_000),
        revokedAt: null,
        revokedReason: null,
      })),
    );

    expect(await sessions.revokeAllForUser(userId, 'logout_all')).toBe(1000);
    await until(2000, () => ids.every((id) => revokedIdsHeard().includes(id)));
    for (const payload of heard)
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
  });

  it('logs and ignores malformed notifications, and applies the next good one', async () => {
    const userId = await newUserId();
    const sessionId = await newSession(userId);
    const notify = (payload: string) =>
      observer.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, payload]);

    await notify('revoke everything');
    await notify('{"topic":"sessions-revoked","entries":[42]}');
    // The database still has the session live: only the notification can end it in memory.
    await notify(JSON.stringify({ topic: 'sessions-revoked', entries: [[sessionId, Date.now()]] }));

    await until(1000, () => sessions.isActive(sessionId, userId, issuedNow()) === false);
    expect(feed.live).toBe(true);
    expect(logged).toContain(`ignored a malformed notification on ${NOTIFY_CHANNEL}`);
    expect(logged).toContain('ignored a malformed message on sessions-revoked');
  });

  it('asks the database while its listener is down, and trusts memory again once reseeded', async () => {
    const userId = await newUserId();
    const [duringOutage, afterOutage] = [await newSession(userId), await newSession(userId)];
    const listening = logged.filter(
      (line): line is { msg: string; backend_pid: number } =>
        (line as { msg?: string }).msg === 'listening for changes',
    );
    const backendPid = listening.at(-1)!.backend_pid;

    await observer.query('SELECT pg_terminate_backend($1)', [backendPid]);
    await until(1000, () => !feed.live);
    // Revoked by hand, so no notification: only the database knows.
    await dataSource.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [duringOutage]);
    const answer = sessions.isActive(duringOutage, userId, issuedNow());
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(false);
    expect(await sessions.isActive(afterOutage, userId, issuedNow())).toBe(true);

    // It reconnects after a second, proves delivery, reseeds, and answers from memory again.
    await until(5000, () => feed.live);
    expect(sessions.isActive(duringOutage, userId, issuedNow())).toBe(false);
    expect(sessions.isActive(afterOutage, userId, issuedNow())).toBe(true);
    const newPid = logged
      .filter((line) => (line as { msg?: string }).msg === 'listening for changes')
      .at(-1) as { backend_pid: number };
    expect(newPid.backend_pid).not.toBe(backendPid);
  });
});
