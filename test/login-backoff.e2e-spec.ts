import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUp, type SignedUpUser } from './factories/user.factory.js';

const BACKOFF = {
  LOGIN_BACKOFF_AFTER_FAILURES: '3',
  LOGIN_BACKOFF_INITIAL_SECONDS: '1',
  LOGIN_BACKOFF_MAX_SECONDS: '4',
};

/** The parts of a body that must not depend on whether the password was right. */
const comparable = ({ request_id: _id, ...rest }: Record<string, unknown>) => rest;

describe('login backoff after repeated failures', () => {
  let t: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    [t, other] = await Promise.all([createTestApp(BACKOFF), createTestApp(BACKOFF)]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), other.close()]);
  });

  const attempt = (app: TestApp, usernameOrEmail: string, password: string) =>
    app.http.post('/auth/login').send({ username_or_email: usernameOrEmail, password });
  const fail = async (app: TestApp, usernameOrEmail: string, times: number) => {
    for (let n = 0; n < times; n += 1) {
      expect((await attempt(app, usernameOrEmail, 'wrong password')).status).toBe(401);
    }
  };

  let user: SignedUpUser;
  beforeAll(async () => {
    user = await signUp(t.http);
  });

  it('refuses even the right password during backoff, with the same 429 as a wrong one', async () => {
    const victim = await signUp(t.http);
    await fail(t, victim.username, 3);

    const right = await attempt(t, victim.username, victim.password);
    const wrong = await attempt(t, victim.username, 'wrong password');
    expect(right.status).toBe(429);
    expect(wrong.status).toBe(429);
    expect(right.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(right.body.type).toBe('https://whazz.audio/problems/login-backoff');
    expect(comparable(right.body)).toEqual(comparable(wrong.body));
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(right.headers['retry-after']).toBe(wrong.headers['retry-after']);
  });

  it('lets the owner in once the wait is over, and the wait doubles with each further failure', async () => {
    const owner = await signUp(t.http);
    await fail(t, owner.email, 3);
    const waited = Number((await attempt(t, owner.email, owner.password)).headers['retry-after']);
    expect(waited).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Fourth failure: the wait doubles.
    expect((await attempt(t, owner.email, 'wrong again')).status).toBe(401);
    const doubled = await attempt(t, owner.email, owner.password);
    expect(doubled.status).toBe(429);
    expect(Number(doubled.headers['retry-after'])).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await attempt(t, owner.email, owner.password)).status).toBe(200);
  });

  it('treats an unknown name the same way, so backoff reveals no account', async () => {
    const nobody = `nobody_${randomBytes(5).toString('hex')}`;
    await fail(t, nobody, 3);
    const refused = await attempt(t, nobody, 'anything at all');
    expect(refused.status).toBe(429);
    expect(refused.body.type).toBe('https://whazz.audio/problems/login-backoff');
  });

  it('forgets the failures after a successful login', async () => {
    await fail(t, user.username, 2);
    expect((await attempt(t, user.username, user.password)).status).toBe(200);
    await fail(t, user.username, 2);
    expect((await attempt(t, user.username, user.password)).status).toBe(200);
  });

  it('keeps the count in the database: another instance refuses too', async () => {
    const victim = await signUp(t.http);
    await fail(t, victim.username, 2);
    await fail(other, victim.username.toUpperCase(), 1);
    expect((await attempt(t, victim.username, victim.password)).status).toBe(429);
  });

  it('lets no burst of parallel guesses past the threshold', async () => {
    const victim = await signUp(t.http);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => attempt(t, victim.username, 'parallel guess')),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });

  it('holds a burst split across two instances to one extra guess per instance', async () => {
    const victim = await signUp(t.http);
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        attempt(n % 2 ? other : t, victim.username, 'parallel guess'),
      ),
    );
    const wrong = responses.filter((response) => response.status === 401).length;
    expect(wrong).toBeGreaterThanOrEqual(3);
    expect(wrong).toBeLessThanOrEqual(4);
  });

  it('never lets parallel right passwords push their own account into backoff', async () => {
    // A service account whose workers all log in at once: each attempt is counted before its
    // check, so unless attempts at one name take turns, the right ones would trip the backoff.
    const owner = await signUp(t.http);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => attempt(t, owner.username, owner.password)),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
  });
});
