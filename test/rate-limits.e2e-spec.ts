import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { canonicalIpAddress } from '../src/common/http/ip-address.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUp, signUpAndLogIn } from './factories/user.factory.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const redisUrl = inject('redisUrl');

/**
 * A client address of its own per test (IPv6 documentation range), so tests, test runs and
 * instances sharing one Redis never share a budget by chance. Needs TRUST_PROXY.
 */
const newClientAddress = () => {
  const [a, b, c, d] = randomBytes(8).toString('hex').match(/.{4}/g)!;
  return `2001:db8:${a}:${b}::${c}:${d}`;
};
const newAccountName = () => `nobody_${randomBytes(5).toString('hex')}`;

/**
 * The `RateLimit` field (`"login";r=2;t=60`): an RFC 9651 List of one Item, a String naming
 * the policy with the remaining quota and the seconds until it resets.
 */
function rateLimitField(response: Response): { name: string; remaining: number } {
  const field = response.headers.ratelimit;
  const match = /^"([a-z-]+)";r=(\d+);t=(\d+)$/.exec(field ?? '');
  expect(match, `RateLimit: ${field}`).not.toBeNull();
  const [, name, remaining, reset] = match!;
  expect(Number(reset)).toBeGreaterThanOrEqual(1);
  expect(Number(reset)).toBeLessThanOrEqual(60);
  return { name: name!, remaining: Number(remaining) };
}

const login = (t: TestApp, usernameOrEmail: string, forwardedFor?: string) => {
  const request = t.http.post('/auth/login');
  if (forwardedFor) void request.set('X-Forwarded-For', forwardedFor);
  return request.send({ username_or_email: usernameOrEmail, password: 'not the password' });
};

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_DEFAULT: '4/1m',
      RATE_LIMIT_LOGIN: '3/1m',
      RATE_LIMIT_LOGIN_ACCOUNT: '100/1m',
      RATE_LIMIT_SIGNUP: '2/1m',
      RATE_LIMIT_REFRESH: '2/2s',
      LOGIN_BACKOFF_AFTER_FAILURES: '0',
    });
  });
  afterAll(() => t.close());

  it('refuses the request after the per-address login budget with 429, Retry-After and problem details', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await login(t, newAccountName());
      statuses.push(response.status);
      // draft-ietf-httpapi-ratelimit-headers-10: one policy, and where the caller stands in it.
      expect(response.headers['ratelimit-policy']).toBe('"login";q=3;w=60');
      expect(rateLimitField(response)).toEqual({ name: 'login', remaining: 2 - attempt });
      // Draft -06's names, deprecated, kept for one release.
      expect(response.headers['ratelimit-limit']).toBe('3');
      expect(response.headers['ratelimit-remaining']).toBe(String(2 - attempt));
      expect(response.headers['ratelimit-reset']).toBe(response.headers.ratelimit?.split('t=')[1]);
    }
    expect(statuses).toEqual([401, 401, 401]);

    const refused = await login(t, newAccountName());
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(rateLimitField(refused)).toEqual({ name: 'login', remaining: 0 });
    expect(refused.body).toMatchObject({
      type: 'https://whazz.audio/problems/rate-limited',
      status: 429,
      title: 'Too Many Requests',
    });
  });

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    // The previous test spent 127.0.0.1's login budget; new forged addresses change nothing.
    for (const forged of ['203.0.113.7', '203.0.113.8, 10.0.0.1']) {
      expect((await login(t, newAccountName(), forged)).status).toBe(429);
    }
  });

  it('counts signups per address, the default limit on other routes, and never limits health checks', async () => {
    expect((await signUp(t.http)).id).toBeDefined();
    await signUp(t.http);
    const third = await t.http.post('/auth/signup').send({
      email: `${newAccountName()}@example.com`,
      username: newAccountName(),
      password: 'a fine pass phrase',
    });
    expect(third.status).toBe(429);

    const info = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await t.http.get('/');
      info.push(response.status);
      expect(response.headers['ratelimit-policy']).toBe('"default";q=4;w=60');
      expect(rateLimitField(response)).toEqual({
        name: 'default',
        remaining: Math.max(0, 3 - attempt),
      });
    }
    expect(info).toEqual([200, 200, 200, 200, 429]);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect((await t.http.get('/health')).status).toBe(200);
    }
  });
});

describe('rate limits behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      TRUST_PROXY: '1',
      RATE_LIMIT_LOGIN: '3/1m',
      RATE_LIMIT_LOGIN_ACCOUNT: '2/1m',
      RATE_LIMIT_REFRESH: '2/2s',
      RATE_LIMIT_FORGOT_PASSWORD: '3/1m',
      RATE_LIMIT_FORGOT_PASSWORD_ACCOUNT: '2/1m',
      LOGIN_BACKOFF_AFTER_FAILURES: '0',
    });
  });
  afterAll(() => t.close());

  it('limits password-reset mails per address and per target email, so nobody is mail-bombed', async () => {
    const forgot = (email: string, address: string) =>
      t.http.post('/auth/forgot-password').set('X-Forwarded-For', address).send({ email });
    const email = `${newAccountName()}@example.com`;
    expect((await forgot(email, newClientAddress())).status).toBe(202);
    expect((await forgot(email.toUpperCase(), newClientAddress())).status).toBe(202);
    expect((await forgot(email, newClientAddress())).status).toBe(429);

    const address = newClientAddress();
    for (let n = 0; n < 3; n += 1) {
      expect((await forgot(`${newAccountName()}@example.com`, address)).status).toBe(202);
    }
    expect((await forgot(`${newAccountName()}@example.com`, address)).status).toBe(429);
  });

  it('takes the client address from the proxy hop, so each client has its own budget', async () => {
    const first = newClientAddress();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await login(t, newAccountName(), `10.9.9.9, ${first}`)).status).toBe(401);
    }
    expect((await login(t, newAccountName(), first)).status).toBe(429);
    // Another client behind the same proxy is unaffected; only the last hop is believed.
    expect((await login(t, newAccountName(), `${first}, ${newClientAddress()}`)).status).toBe(401);
  });

  it('limits each target account across addresses, ignoring case and spaces', async () => {
    const account = newAccountName();
    expect((await login(t, account, newClientAddress())).status).toBe(401);
    expect((await login(t, ` ${account.toUpperCase()}`, newClientAddress())).status).toBe(401);
    const third = await login(t, account, newClientAddress());
    expect(third.status).toBe(429);
    // The headers show the caller's own address budget, never the account's: that would
    // tell anyone how often its owner logs in.
    expect(third.headers['ratelimit-policy']).toBe('"login";q=3;w=60');
    expect(rateLimitField(third)).toEqual({ name: 'login', remaining: 2 });
    expect(third.headers['ratelimit-limit']).toBe('3');
    expect(third.headers['ratelimit-remaining']).toBe('2');
  });

  it('lets a refused client in again once Retry-After has passed', async () => {
    const address = newClientAddress();
    const refresh = () =>
      t.http
        .post('/auth/refresh')
        .set('X-Forwarded-For', address)
        .send({ refresh_token: 'x'.repeat(43) });
    expect((await refresh()).status).toBe(401);
    expect((await refresh()).status).toBe(401);
    const refused = await refresh();
    expect(refused.status).toBe(429);
    const waitSeconds = Number(refused.headers['retry-after']);
    expect(waitSeconds).toBeGreaterThanOrEqual(1);
    expect(waitSeconds).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000 + 50));
    expect((await refresh()).status).toBe(401);
  });

  it('counts a whole IPv6 /64 as one client, since one host usually owns it', async () => {
    const prefix = newClientAddress().split(':').slice(0, 4).join(':');
    for (let n = 1; n <= 3; n += 1) {
      expect((await login(t, newAccountName(), `${prefix}::${n}`)).status).toBe(401);
    }
    expect((await login(t, newAccountName(), `${prefix}:ffff:1:2:3`)).status).toBe(429);
  });

  it('falls back to the socket address when the forwarded one is not an address', async () => {
    const user = await signUp(t.http);
    const response = await t.http
      .post('/auth/login')
      .set('X-Forwarded-For', 'x'.repeat(100))
      .send({ username_or_email: user.username, password: user.password });
    expect(response.status).toBe(200);
    const sessions = await t.http
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${response.body.access_token as string}`);
    expect(sessions.body[0].ip_address).toMatch(/127\.0\.0\.1$/);
    expect(t.logs.some((line) => line.includes('could not record a security event'))).toBe(false);
  });

  it('records the proxied client address on the session, in its one RFC 5952 spelling', async () => {
    const address = newClientAddress();
    const user = await signUp(t.http);
    const response = await t.http
      .post('/auth/login')
      .set('X-Forwarded-For', address)
      .send({ username_or_email: user.username, password: user.password });
    const sessions = await t.http
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${response.body.access_token as string}`);
    expect(sessions.body[0].ip_address).toBe(canonicalIpAddress(address));
  });
});

describe.runIf(redisUrl)('rate limits shared through Redis', () => {
  const env = {
    REDIS_URL: redisUrl!,
    TRUST_PROXY: '1',
    RATE_LIMIT_LOGIN: '4/1m',
    LOGIN_BACKOFF_AFTER_FAILURES: '0',
  };

  it('gives two instances behind one load balancer one budget', async () => {
    const [a, b] = await Promise.all([createTestApp(env), createTestApp(env)]);
    try {
      const address = newClientAddress();
      const statuses = [];
      for (const instance of [a, b, a, b, a, b]) {
        statuses.push((await login(instance, newAccountName(), address)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('gives two instances one budget for the default limit too, though it is counted in batches', async () => {
    const limited = { ...env, RATE_LIMIT_DEFAULT: '4/1m' };
    const [a, b] = await Promise.all([createTestApp(limited), createTestApp(limited)]);
    try {
      const address = newClientAddress();
      const statuses = [];
      for (const instance of [a, b, a, b, a, b]) {
        statuses.push((await instance.http.get('/').set('X-Forwarded-For', address)).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  describe('when Redis is unreachable', () => {
    let proxy: TcpProxy;
    let t: TestApp;
    beforeAll(async () => {
      proxy = await startTcpProxy(redisUrl!.replace('redis://', 'postgres://'));
      t = await createTestApp({ ...env, REDIS_URL: proxy.url.replace('postgres://', 'redis://') });
    });
    afterAll(async () => {
      await t.close();
      await proxy.close();
    });

    it('keeps answering, counts in memory, and says so loudly in the log', async () => {
      await proxy.cut();
      const address = newClientAddress();
      const user = await signUpAndLogIn(t.http);
      const statuses = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        statuses.push((await login(t, newAccountName(), address)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      const me = await t.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`);
      expect(me.status).toBe(200);
      const outage = t.logs.filter((line) => line.includes('Redis unreachable for rate limits'));
      expect(outage.length).toBeGreaterThan(0);
      expect(JSON.parse(outage[0]!)).toMatchObject({ level: 50 });
    });
  });
});
