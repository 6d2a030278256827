import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/users/entities/user.entity.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { newSignup, signUp } from './factories/user.factory.js';

const PROBLEM = /^application\/problem\+json/;

describe('POST /auth/signup', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates the account and returns exactly the public user fields', async () => {
    const input = newSignup({ email: '  Mixed.Case@Example.COM ' });
    const response = await t.http.post('/auth/signup').send(input);

    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual([
      'created_at',
      'email',
      'email_verified',
      'id',
      'is_active',
      'updated_at',
      'username',
    ]);
    expect(response.body).toMatchObject({
      email: 'mixed.case@example.com',
      username: input.username,
      is_active: true,
      email_verified: false,
    });
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);

    const stored = await t.dataSource
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id: response.body.id })
      .getOneOrFail();
    expect(stored.passwordHash).toMatch(/^\$2[ab]\$04\$/);
    expect(stored.passwordHash).not.toContain(input.password);
  });

  it('keeps the username as typed but refuses the same name in another case with a 409 naming the field', async () => {
    const first = await signUp(t.http, { username: `Case_${Date.now()}` });
    const response = await t.http
      .post('/auth/signup')
      .send(newSignup({ username: first.username.toUpperCase() }));

    expect(response.status).toBe(409);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({
      status: 409,
      type: 'https://whazz.audio/problems/username-taken',
    });
    expect(response.body.errors).toEqual([{ field: 'username', message: 'is already taken' }]);
  });

  it('refuses a taken email in any case with a 409 naming the email', async () => {
    const first = await signUp(t.http);
    const response = await t.http
      .post('/auth/signup')
      .send(newSignup({ email: first.email.toUpperCase() }));

    expect(response.status).toBe(409);
    expect(response.body.detail).toBe('An account with this email already exists.');
    expect(response.body.errors[0].field).toBe('email');
  });

  it('lets exactly one of many concurrent signups for one username win; the rest get 409, never 500', async () => {
    const username = `race_${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => t.http.post('/auth/signup').send(newSignup({ username }))),
    );
    const statuses = responses.map((response) => response.status).sort();

    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(11);
    expect(await t.dataSource.getRepository(User).countBy({ usernameNormalized: username })).toBe(
      1,
    );
  });

  it.each([
    ['email', { email: 'not-an-email' }, 'must be a valid email address'],
    ['email', { email: `${'a'.repeat(250)}@example.com` }, 'must be at most 254 characters'],
    ['username', { username: 'ab' }, 'must be 3 to 32 characters of A-Z, a-z, 0-9, _ . -'],
    [
      'username',
      { username: 'a'.repeat(33) },
      'must be 3 to 32 characters of A-Z, a-z, 0-9, _ . -',
    ],
    [
      'username',
      { username: "bob'; DROP TABLE users;--" },
      'must be 3 to 32 characters of A-Z, a-z, 0-9, _ . -',
    ],
    ['password', { password: 'short' }, 'must be at least 8 characters long'],
    ['password', { password: 12345678 }, 'password must be a string'],
    ['password', { password: 'pass\u0000word1' }, 'must not contain the NUL character'],
  ])('answers 422 naming %s for %j', async (field, override, message) => {
    const response = await t.http.post('/auth/signup').send({ ...newSignup(), ...override });

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body.errors).toEqual([{ field, message }]);
  });

  it('refuses a password over 72 bytes of UTF-8 and says why instead of truncating it', async () => {
    const password = 'é'.repeat(37); // 37 characters, 74 bytes
    const response = await t.http.post('/auth/signup').send(newSignup({ password }));

    expect(response.status).toBe(422);
    expect(response.body.errors[0].field).toBe('password');
    expect(response.body.errors[0].message).toContain('at most 72 bytes');
    expect(response.body.errors[0].message).toContain('bcrypt ignores anything longer');
  });

  it.each([
    ['a common password', { password: 'password1' }],
    ['a common password in other case', { password: 'IloveYou123' }],
    ['a common password in full-width forms (NFKC)', { password: 'ｐａｓｓｗｏｒｄ１２３' }],
  ])('refuses %s with 422 naming the rule', async (_, overrides) => {
    const response = await t.http.post('/auth/signup').send(newSignup(overrides));
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      {
        field: 'password',
        message: 'is one of the most common passwords, which attackers try first; choose another',
      },
    ]);
  });

  it('refuses a password that contains the username or the email name, ignoring case', async () => {
    const withUsername = newSignup({ username: 'Marguerite_9' });
    const response = await t.http
      .post('/auth/signup')
      .send({ ...withUsername, password: 'my MARGUERITE_9 rules' });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { field: 'password', message: 'must not contain the username' },
    ]);

    const withEmail = newSignup({ email: 'Bartholomew.K@example.com' });
    const byEmail = await t.http
      .post('/auth/signup')
      .send({ ...withEmail, password: 'bartholomew.k forever' });
    expect(byEmail.status).toBe(422);
    expect(byEmail.body.errors[0].message).toBe(
      'must not contain the part of the email address before the @',
    );
  });

  it('accepts exactly 72 bytes', async () => {
    const response = await t.http
      .post('/auth/signup')
      .send(newSignup({ password: 'x'.repeat(72) }));
    expect(response.status).toBe(201);
  });

  it('refuses fields a client may not set (is_active, id, role) with 422 rather than ignoring them', async () => {
    const response = await t.http.post('/auth/signup').send({
      ...newSignup(),
      is_active: false,
      id: '00000000-0000-0000-0000-000000000000',
      role: 'admin',
    });

    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'id',
      'is_active',
      'role',
    ]);
  });

  it('lists every missing field of an empty body', async () => {
    const response = await t.http.post('/auth/signup').send({});
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([
      'email',
      'username',
      'password',
    ]);
  });

  it.each([['[]'], ['"text"'], ['42'], ['null']])(
    'refuses the JSON body %s with 422',
    async (body) => {
      const response = await t.http
        .post('/auth/signup')
        .set('Content-Type', 'application/json')
        .send(body);
      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toMatch(PROBLEM);
    },
  );

  it('answers malformed JSON with 400 problem details', async () => {
    const response = await t.http
      .post('/auth/signup')
      .set('Content-Type', 'application/json')
      .send('{"email": ');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({ status: 400, title: 'Bad Request' });
  });

  it('answers a body over 100 kB with 413 problem details', async () => {
    const response = await t.http
      .post('/auth/signup')
      .send({ ...newSignup(), username: 'x'.repeat(101 * 1024) });
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers a non-JSON body with 415 problem details', async () => {
    const response = await t.http
      .post('/auth/signup')
      .set('Content-Type', 'text/plain')
      .send('email=a');
    expect(response.status).toBe(415);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('refuses a form-encoded body with 415, so a cross-site form cannot sign anyone up', async () => {
    const response = await t.http
      .post('/auth/signup')
      .type('form')
      .send({ email: 'form@example.com', username: 'form_user', password: 'form password' });
    expect(response.status).toBe(415);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('refuses JSON nested deeper than 32 levels with 400 instead of overflowing the stack', async () => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`;
    const response = await t.http
      .post('/auth/signup')
      .set('Content-Type', 'application/json')
      .send(`{"email": ${deep}}`);
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe('The request body nests deeper than 32 levels.');
  });

  it('refuses text with an unpaired surrogate with 400 instead of crashing the email validator', async () => {
    // Found by the OpenAPI fuzzer: validator.js's isEmail threw a URIError on "\ud800".
    for (const body of [
      '{"email":"\\ud800","username":"surrogate","password":"a fine pass phrase"}',
      '{"email":"a@example.com","username":"surrogate","password":"pass\\udfffphrase!"}',
      '{"\\ud800":"x"}',
    ]) {
      const response = await t.http
        .post('/auth/signup')
        .set('Content-Type', 'application/json')
        .send(body);
      expect(response.status, body).toBe(400);
      expect(response.body.detail).toMatch(/not valid Unicode/);
    }
  });

  it('refuses prototype-poisoning keys with 400', async () => {
    const response = await t.http
      .post('/auth/signup')
      .set('Content-Type', 'application/json')
      .send('{"email":"a@example.com","__proto__":{"is_active":false}}');
    expect(response.status).toBe(400);
  });

  it('counts password characters as typed: one ligature that NFKC expands is not 8 characters', async () => {
    const response = await t.http.post('/auth/signup').send(newSignup({ password: '\ufdfa' }));
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { field: 'password', message: 'must be at least 8 characters long' },
    ]);
  });
});
