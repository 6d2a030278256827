import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import pg from 'pg';
import { logIn, signUp, signUpAndLogIn } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';
import { startSmtpServer, tokenIn, type TestSmtpServer } from './smtp-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { within } from './within.js';

const redisUrl = inject('redisUrl');
const onServer = inject('databaseKind') === 'server';

/** Waits until an instance trusts its in-memory revocations (subscribed and seeded). */
async function untilFeedLive(t: TestApp): Promise<void> {
  const { ChangeFeedService } = await import('../src/platform/change-feed/change-feed.service.js');
  const feed = t.app.get(ChangeFeedService);
  await within(5000, () => Promise.resolve(feed.live));
}

/** The session an access token belongs to: its `sid` claim. */
const sessionIdOf = (accessToken: string) => claimsOf(accessToken).sid as string;

const me = (t: TestApp, token: string) =>
  t.http.get('/auth/me').set('Authorization', `Bearer ${token}`);

describe.runIf(redisUrl)('two instances sharing PostgreSQL and Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      createTestApp({ REDIS_URL: redisUrl! }),
      createTestApp({ REDIS_URL: redisUrl! }),
    ]);
    await Promise.all([untilFeedLive(a), untilFeedLive(b)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('a token from a login on A works on B', async () => {
    const user = await signUpAndLogIn(a.http);
    expect((await me(b, user.accessToken)).status).toBe(200);
  });

  it('a logout on B is refused on A within one second, from memory', async () => {
    const user = await signUpAndLogIn(a.http);
    expect((await me(a, user.accessToken)).status).toBe(200);

    await b.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    const tookMs = await within(1000, async () => (await me(a, user.accessToken)).status === 401);
    expect(tookMs).toBeLessThan(1000);
  });

  it('a refresh on A makes the old refresh token useless on B', async () => {
    const user = await signUpAndLogIn(a.http);
    const rotated = await a.http.post('/auth/refresh').send({ refresh_token: user.refreshToken });
    expect(rotated.status).toBe(200);
    // Its successor used on A, the old token has no grace left on B either (issue #23).
    const next = await a.http
      .post('/auth/refresh')
      .send({ refresh_token: rotated.body.refresh_token as string });
    expect(next.status).toBe(200);
    const replay = await b.http.post('/auth/refresh').send({ refresh_token: user.refreshToken });
    expect(replay.status).toBe(401);
    // ...and the replay ended the session on A as well.
    await within(1000, async () => (await me(a, next.body.access_token as string)).status === 401);
  });

  it('a replay on B within the reuse grace gets the successor A answered (issue #23)', async () => {
    const user = await signUpAndLogIn(a.http);
    const responses = await Promise.all(
      [a, b, a, b, a, b].map((app) =>
        app.http.post('/auth/refresh').send({ refresh_token: user.refreshToken }),
      ),
    );
    expect(responses.map(({ status }) => status)).toEqual(Array(6).fill(200));
    const successors = new Set(responses.map(({ body }) => body.refresh_token as string));
    expect(successors.size).toBe(1);
    const live = await a.dataSource.query<unknown[]>(
      'SELECT 1 FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
      [sessionIdOf(user.accessToken)],
    );
    expect(live).toHaveLength(1);
    for (const { body } of responses) {
      expect((await me(b, body.access_token as string)).status).toBe(200);
    }
  });

  it('a user disabled in plain SQL is refused on every instance within a second or two, cached or not', async () => {
    const user = await signUpAndLogIn(a.http);
    expect((await me(a, user.accessToken)).status).toBe(200);
    expect((await me(b, user.accessToken)).status).toBe(200);

    await a.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    // No instance announced it: each finds it in its next poll of PostgreSQL (every second).
    await within(2500, async () => (await me(a, user.accessToken)).status === 403);
    await within(2500, async () => (await me(b, user.accessToken)).status === 403);
  });

  it('a session revoked by hand in SQL is refused on every instance within a second or two', async () => {
    const user = await signUpAndLogIn(a.http);
    expect((await me(a, user.accessToken)).status).toBe(200);
    expect((await me(b, user.accessToken)).status).toBe(200);

    await a.dataSource.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [
      sessionIdOf(user.accessToken),
    ]);
    await within(2500, async () => (await me(a, user.accessToken)).status === 401);
    await within(2500, async () => (await me(b, user.accessToken)).status === 401);
  });

  it('an instance that starts later refuses tokens revoked before it started', async () => {
    const user = await signUpAndLogIn(a.http);
    await a.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    const c = await createTestApp({ REDIS_URL: redisUrl! });
    await untilFeedLive(c);
    expect((await me(c, user.accessToken)).status).toBe(401);
    await c.close();
  });
});

describe.runIf(redisUrl)('when Redis goes away', () => {
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    proxy = await startTcpProxy(redisUrl!.replace('redis://', 'postgres://'));
    const viaProxy = proxy.url.replace('postgres://', 'redis://');
    [a, b] = await Promise.all([
      createTestApp({ REDIS_URL: viaProxy }),
      createTestApp({ REDIS_URL: viaProxy }),
    ]);
    await Promise.all([untilFeedLive(a), untilFeedLive(b)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await proxy.close();
  });

  it('falls back to the database: a token revoked during the outage is refused everywhere at once', async () => {
    const user = await signUpAndLogIn(a.http);
    const phone = await logIn(a.http, user, 'phone');
    await proxy.cut();

    // Neither instance can hear the other now; both must ask PostgreSQL.
    await b.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    const onA = await a.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`);
    expect(onA.status).toBe(401);
    // The service keeps answering: other sessions still work.
    expect(
      (await a.http.get('/auth/me').set('Authorization', `Bearer ${phone.accessToken}`)).status,
    ).toBe(200);

    await proxy.restore();
    await untilFeedLive(a);
    expect(
      (await a.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`)).status,
    ).toBe(401);
  });
  it('an instance that starts while Redis is unreachable subscribes once Redis is back', async () => {
    await proxy.cut();
    const c = await createTestApp({ REDIS_URL: proxy.url.replace('postgres://', 'redis://') });
    const redis = new Redis(redisUrl!);
    let restored = false;
    try {
      const user = await signUpAndLogIn(c.http);
      await proxy.restore();
      restored = true;
      await untilFeedLive(c);
      expect((await me(c, user.accessToken)).status).toBe(200);

      // Announced on Redis only: the database still has the session, so no poll revokes it.
      // Only a subscribed instance can refuse the token.
      const revocation = [[sessionIdOf(user.accessToken), Date.now()]];
      await redis.publish('whazz-auth:sessions-revoked', JSON.stringify(revocation));
      await within(1000, async () => (await me(c, user.accessToken)).status === 401);
    } finally {
      // Later tests need Redis back, even if this one failed before it came back.
      if (!restored) await proxy.restore();
      redis.disconnect();
      await c.close();
    }
  });
});

/**
 * Issue 17, point 4: without Redis, PostgreSQL's LISTEN/NOTIFY is the feed. The poll runs
 * once a minute here, so whatever crosses over within a second crossed over by notification.
 * A server only: the embedded PGlite cannot notify another connection.
 */
describe.runIf(onServer)('two instances sharing PostgreSQL alone (LISTEN/NOTIFY)', () => {
  const POLL_ONCE_A_MINUTE = { CHANGE_FEED_POLL_SECONDS: '60' };
  let smtp: TestSmtpServer;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    [a, b] = await Promise.all([
      createTestApp({ ...POLL_ONCE_A_MINUTE, SMTP_URL: smtp.url }),
      createTestApp(POLL_ONCE_A_MINUTE),
    ]);
    await Promise.all([untilFeedLive(a), untilFeedLive(b)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await smtp.close();
  });

  it('has both instances answer bearer checks from memory, in sync through notifications', () => {
    expect(a.configuration.redis.url).toBeUndefined();
    // Nest's logger is one per process: either app's capture may hold the other's lines.
    const inSync = [...a.logs, ...b.logs].filter((line) =>
      line.includes('in sync through PostgreSQL notifications'),
    );
    expect(inSync.length).toBeGreaterThanOrEqual(2);
  });

  it('a logout on A is refused on B within one second, with no poll due for a minute', async () => {
    const user = await signUpAndLogIn(a.http);
    // B knows the session from memory now, and would keep saying yes without a notification.
    expect((await me(b, user.accessToken)).status).toBe(200);
    expect((await me(b, user.accessToken)).status).toBe(200);

    await a.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    const tookMs = await within(1000, async () => (await me(b, user.accessToken)).status === 401);
    expect(tookMs).toBeLessThan(1000);
  });

  it('a refresh-token replay on B ends the session on A within one second', async () => {
    const user = await signUpAndLogIn(a.http);
    const rotated = await a.http.post('/auth/refresh').send({ refresh_token: user.refreshToken });
    const next = await a.http
      .post('/auth/refresh')
      .send({ refresh_token: rotated.body.refresh_token as string });
    const accessToken = next.body.access_token as string;
    expect((await me(a, accessToken)).status).toBe(200);
    // Its successor used: the old token is theft, not a retry (issue #23).
    expect(
      (await b.http.post('/auth/refresh').send({ refresh_token: user.refreshToken })).status,
    ).toBe(401);
    await within(1000, async () => (await me(a, accessToken)).status === 401);
  });

  it('a user changed on A is seen changed on B within one second, though B had cached it', async () => {
    const user = await signUp(a.http);
    const { accessToken } = await logIn(b.http, user);
    const onB = async () => (await me(b, accessToken)).body as { email_verified: boolean };
    expect((await onB()).email_verified).toBe(false);

    const token = tokenIn(await smtp.mailTo(user.email, /Confirm your email/));
    expect((await a.http.post('/auth/verify-email').send({ token })).status).toBe(200);
    await within(1000, async () => (await onB()).email_verified);
  });

  it('while its listener is down B asks the database; back, it has caught up on what it missed', async () => {
    const user = await signUpAndLogIn(a.http);
    const other = await logIn(a.http, user, 'phone');
    expect((await me(b, user.accessToken)).status).toBe(200);
    const feedOfB = await feedOf(b);

    await terminateListeners(a, b);
    await within(1000, () => Promise.resolve(!feedOfB.live));
    // Notified, but B is not listening: only the database can tell B now.
    await a.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    expect((await me(b, user.accessToken)).status).toBe(401);
    expect((await me(b, other.accessToken)).status).toBe(200);
    expect(feedOfB.live).toBe(false);

    // B listens again within seconds, reseeds, and answers from memory, still refusing the
    // token whose notification it missed (no poll has run: the next is a minute away).
    await within(5000, () => Promise.resolve(feedOfB.live));
    expect((await me(b, user.accessToken)).status).toBe(401);
    // ...and hears the next logout again.
    await a.http.post('/auth/logout').set('Authorization', `Bearer ${other.accessToken}`);
    await within(1000, async () => (await me(b, other.accessToken)).status === 401);
  });
});

async function feedOf(t: TestApp) {
  const { ChangeFeedService } = await import('../src/platform/change-feed/change-feed.service.js');
  return t.app.get(ChangeFeedService);
}

/**
 * Ends the backends of these instances' LISTEN connections, as a failover or an admin would.
 * Their pids come from the instances' logs: test files running beside this one keep theirs.
 */
async function terminateListeners(...apps: TestApp[]): Promise<void> {
  const backendPids = apps
    .flatMap((t) => t.logs)
    .map((line) => JSON.parse(line) as { msg?: string; backend_pid?: number })
    .filter((line) => line.msg === 'listening for changes')
    .map((line) => line.backend_pid);
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ terminated: number }>(
      'SELECT count(*)::int AS terminated FROM unnest($1::int[]) AS pid WHERE pg_terminate_backend(pid)',
      [backendPids],
    );
    expect(rows[0]!.terminated).toBe(apps.length);
  } finally {
    await admin.end();
  }
}
