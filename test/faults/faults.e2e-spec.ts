/**
 * Faults (issue #6): the process killed mid-load, SIGTERM with requests in flight, and the
 * database stopping under load. The kill tests run the production build on the test run's
 * PostgreSQL server, which outlives the process they kill (the embedded database ends with it).
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp } from '../create-test-app.js';
import { logIn, signUpAndLogIn, type LoggedInUser } from '../factories/user.factory.js';
import { startTcpProxy } from '../tcp-proxy.js';
import { ensureBuilt, startService } from './service-process.js';

const onServer = inject('databaseKind') === 'server';
const PROBLEM = /^application\/problem\+json/;

const post = (baseUrl: string, path: string, body: object) =>
  fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

const newAccount = () => {
  const tag = randomBytes(6).toString('hex');
  return {
    email: `kill.${tag}@example.com`,
    username: `kill_${tag}`,
    password: `pass phrase ${tag}`,
  };
};

describe.runIf(onServer)('the service process', () => {
  beforeAll(() => ensureBuilt(), 120_000);
  const env = () => ({ DATABASE_URL: inject('databaseUrl') });

  it('loses no acknowledged signup when killed with SIGKILL mid-load', async () => {
    const service = await startService(env());
    const acknowledged: ReturnType<typeof newAccount>[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const account = newAccount();
        try {
          const response = await post(service.baseUrl, '/auth/signup', account);
          if (response.status === 201) acknowledged.push(account);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    service.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await service.exited;
    expect(acknowledged.length).toBeGreaterThan(10);

    const restarted = await startService(env());
    try {
      for (const account of acknowledged) {
        const login = await post(restarted.baseUrl, '/auth/login', {
          username_or_email: account.username,
          password: account.password,
        });
        expect(login.status, account.username).toBe(200);
      }
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
  }, 120_000);

  it('on SIGTERM finishes the requests in flight, then exits 0', async () => {
    // A production-like bcrypt cost: each login is in flight for a good while.
    const service = await startService({ ...env(), BCRYPT_COST: '11' });
    const account = newAccount();
    expect((await post(service.baseUrl, '/auth/signup', account)).status).toBe(201);
    const inFlight = Array.from({ length: 4 }, () =>
      post(service.baseUrl, '/auth/login', {
        username_or_email: account.username,
        password: account.password,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    service.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(await service.exited).toBe(0);
  }, 120_000);
});

describe('draining on SIGTERM (SHUTDOWN_DRAIN_SECONDS)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('fails readiness at once, keeps serving for the drain, then exits 0', async () => {
    const database: Record<string, string> = onServer
      ? { DATABASE_URL: inject('databaseUrl') }
      : { DATABASE_RUN_MIGRATIONS: 'true', EMBEDDED_DATABASE_DIR: 'memory://' };
    const service = await startService({ ...database, SHUTDOWN_DRAIN_SECONDS: '2' });
    expect((await fetch(`${service.baseUrl}/health`)).status).toBe(200);
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const readiness = await fetch(`${service.baseUrl}/health`);
    expect(readiness.status).toBe(503);
    expect(readiness.headers.get('content-type')).toMatch(PROBLEM);
    expect(((await readiness.json()) as { type: string }).type).toMatch(/shutting-down$/);
    // Still serving: the process is alive, and a new client can still sign up.
    expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);
    expect((await post(service.baseUrl, '/auth/signup', newAccount())).status).toBe(201);

    expect(await service.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(2000);
  }, 120_000);
});

// The other races of issue #6 live beside their features: concurrent signups for one name
// (signup suite), concurrent refreshes and logout racing refresh (tokens suite), parallel
// guesses at one account (login-backoff suite), concurrent use of one mail token (account).
describe('races', () => {
  it('parallel logins of one user each get a session of their own', async () => {
    const t = await createTestApp();
    try {
      const user = await signUpAndLogIn(t.http);
      const logins = await Promise.all(
        Array.from({ length: 12 }, () =>
          t.http
            .post('/auth/login')
            .send({ username_or_email: user.username, password: user.password }),
        ),
      );
      expect(logins.map((login) => login.status)).toEqual(Array(12).fill(200));
      const refreshTokens = new Set(logins.map((login) => login.body.refresh_token as string));
      expect(refreshTokens.size).toBe(12);
      const sessions = await t.http
        .get('/auth/sessions')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(sessions.body).toHaveLength(13);
    } finally {
      await t.close();
    }
  });
});

describe('the database stopping under load', () => {
  it('answers only 503 problem details while it is down, recovers by itself, and loses nothing written before', async () => {
    const proxy = await startTcpProxy(inject('databaseUrl'));
    const t = await createTestApp({ DATABASE_URL: proxy.url });
    try {
      const before: LoggedInUser[] = [];
      for (let n = 0; n < 5; n += 1) before.push(await signUpAndLogIn(t.http));

      await proxy.cut();
      const during = await Promise.all(
        Array.from({ length: 30 }, (_, n) =>
          n % 3 === 0
            ? t.http.post('/auth/signup').send(newAccount())
            : n % 3 === 1
              ? t.http.post('/auth/login').send({
                  username_or_email: before[n % 5]!.username,
                  password: before[n % 5]!.password,
                })
              : t.http.get('/health'),
        ),
      );
      for (const response of during) {
        expect(response.status).toBe(503);
        expect(response.headers['content-type']).toMatch(PROBLEM);
      }

      await proxy.restore();
      await expect
        .poll(async () => (await t.http.get('/health')).status, { timeout: 15_000, interval: 200 })
        .toBe(200);
      for (const user of before) {
        await logIn(t.http, user);
        const refreshed = await t.http
          .post('/auth/refresh')
          .send({ refresh_token: user.refreshToken });
        expect(refreshed.status).toBe(200);
      }
    } finally {
      await t.close();
      await proxy.close();
    }
  }, 120_000);
});
