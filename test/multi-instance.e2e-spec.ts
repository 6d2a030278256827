import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { logIn, signUpAndLogIn } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { within } from './within.js';

const redisUrl = inject('redisUrl');

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
    const replay = await b.http.post('/auth/refresh').send({ refresh_token: user.refreshToken });
    expect(replay.status).toBe(401);
    // ...and the replay ended the session on A as well.
    await within(
      1000,
      async () => (await me(a, rotated.body.access_token as string)).status === 401,
    );
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
