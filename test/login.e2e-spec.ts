import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/users/entities/user.entity.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUp, type SignedUpUser } from './factories/user.factory.js';

/** Everything but the per-request members. */
const comparable = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });

describe('POST /auth/login', () => {
  let t: TestApp;
  let user: SignedUpUser;
  beforeAll(async () => {
    t = await createTestApp();
    user = await signUp(t.http, { username: `Login_${Date.now()}` });
  });
  afterAll(() => t.close());

  it.each([
    ['the username', (u: SignedUpUser) => u.username],
    ['the username in another case', (u: SignedUpUser) => u.username.toLowerCase()],
    ['the email', (u: SignedUpUser) => u.email],
    ['the email upper-cased with spaces', (u: SignedUpUser) => ` ${u.email.toUpperCase()} `],
  ])('logs in with %s and returns the FastAPI token shape', async (_, login) => {
    const response = await t.http
      .post('/auth/login')
      .send({ username_or_email: login(user), password: user.password });

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'token_type',
    ]);
    expect(response.body.token_type).toBe('bearer');
    expect(response.body.expires_in).toBe(900);
    expect(response.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives an unknown user and a wrong password the same 401 body', async () => {
    const wrongPassword = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: 'wrong password' });
    const unknownUser = await t.http
      .post('/auth/login')
      .send({ username_or_email: 'nobody_here', password: 'wrong password' });

    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(comparable(wrongPassword.body)).toEqual(comparable(unknownUser.body));
    expect(wrongPassword.headers['www-authenticate']).toBe('Bearer realm="whazz-audio"');
    expect(wrongPassword.body.detail).toBe('Incorrect username/email or password.');
  });

  it('matches exactly: LIKE wildcards in the login match nobody', async () => {
    for (const pattern of ['%', '_%', `${user.username.slice(0, 3)}%`, '*']) {
      const response = await t.http
        .post('/auth/login')
        .send({ username_or_email: pattern, password: user.password });
      expect(response.status).toBe(401);
    }
  });

  it('answers 403 to a disabled account only when the password is right', async () => {
    const disabled = await signUp(t.http);
    await t.dataSource.getRepository(User).update({ id: disabled.id }, { isActive: false });

    const right = await t.http
      .post('/auth/login')
      .send({ username_or_email: disabled.email, password: disabled.password });
    const wrong = await t.http
      .post('/auth/login')
      .send({ username_or_email: disabled.email, password: 'not the password' });

    expect(right.status).toBe(403);
    expect(right.body.type).toBe('https://whazz.audio/problems/account-disabled');
    expect(wrong.status).toBe(401);
  });

  it('compares passwords after NFKC normalisation', async () => {
    // U+FF21.. are full-width letters; NFKC maps them to ASCII.
    const nfkcUser = await signUp(t.http, { password: 'ＡＢＣＤabcd1234' });
    const response = await t.http
      .post('/auth/login')
      .send({ username_or_email: nfkcUser.username, password: 'ABCDabcd1234' });
    expect(response.status).toBe(200);
  });

  it('logs in a user the FastAPI service hashed, with the password as it was typed then', async () => {
    // The old service hashed the typed form ($2a$, no NFKC); this one must still accept it.
    const typed = 'ﬁdelio №9 ｐａｓｓ';
    const migrated = await signUp(t.http);
    await t.dataSource
      .getRepository(User)
      .update(
        { id: migrated.id },
        { passwordHash: bcrypt.hashSync(typed, 4).replace(/^\$2b/, '$2a') },
      );

    const asTyped = await t.http
      .post('/auth/login')
      .send({ username_or_email: migrated.username, password: typed });
    const normalised = await t.http
      .post('/auth/login')
      .send({ username_or_email: migrated.username, password: typed.normalize('NFKC') });

    expect(asTyped.status).toBe(200);
    expect(normalised.status).toBe(401);
  });

  it('does not let bytes past 72 log in as the 72-byte password', async () => {
    const password = 'p'.repeat(72);
    const longUser = await signUp(t.http, { password });
    const longer = await t.http
      .post('/auth/login')
      .send({ username_or_email: longUser.username, password: `${password}-extra` });
    expect(longer.status).toBe(401);
  });

  it('validates the body before Passport sees it: 422 naming the missing fields', async () => {
    const response = await t.http.post('/auth/login').send({ username: user.username });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'password',
      'username',
      'username_or_email',
    ]);
  });

  it('refuses a NUL character in the login with 422, not a database error', async () => {
    const response = await t.http
      .post('/auth/login')
      .send({ username_or_email: 'ali\u0000ce', password: 'whatever1' });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { field: 'username_or_email', message: 'must not contain the NUL character' },
    ]);
  });

  it('refuses wrongly typed credentials with 422, not 500', async () => {
    const response = await t.http
      .post('/auth/login')
      .send({ username_or_email: ['a'], password: { $gt: '' } });
    expect(response.status).toBe(422);
  });
});

describe('login timing', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A production-like cost, so a skipped hash would stand out from the noise.
    t = await createTestApp({ BCRYPT_COST: '10' });
  });
  afterAll(() => t.close());

  async function medianMs(body: object, attempts = 5): Promise<number> {
    const times: number[] = [];
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const started = performance.now();
      const response = await t.http.post('/auth/login').send(body);
      times.push(performance.now() - started);
      expect(response.status).toBe(401);
    }
    return times.sort((a, b) => a - b)[Math.floor(attempts / 2)]!;
  }

  it('spends as long on an unknown user as on a wrong password (a dummy hash is checked)', async () => {
    const user = await signUp(t.http);
    const wrongPassword = await medianMs({
      username_or_email: user.username,
      password: 'wrong password',
    });
    const unknownUser = await medianMs({
      username_or_email: 'no_such_user_anywhere',
      password: 'wrong password',
    });

    expect(unknownUser / wrongPassword).toBeGreaterThan(0.5);
    expect(unknownUser / wrongPassword).toBeLessThan(2);
  });
});
