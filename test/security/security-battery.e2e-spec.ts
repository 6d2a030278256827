/**
 * The security battery (issue #6): black-box rules over HTTP against the real app and
 * database, drawn from OWASP ASVS 4 (V2 authentication, V3 sessions, V13 API), RFC 8725
 * (JWT best current practice) and RFC 9700 (OAuth 2.0 security: refresh-token rotation).
 * Every response and every log line of the suite is scanned at the end for secrets.
 */
import { createHmac, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from '../create-test-app.js';
import { logIn, newSignup, signUp, signUpAndLogIn } from '../factories/user.factory.js';
import { claimsOf } from '../jwt-claims.js';
import { startSmtpServer, tokenIn, type TestSmtpServer } from '../smtp-server.js';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailService } from '../../src/mail/mail.service.js';
import { spawn } from 'node:child_process';
import { ensureBuilt } from '../faults/service-process.js';
import { rawClient, trickle } from '../raw-http-client.js';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { totpStepsAway, previousStepCode } from '../totp-reference.js';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { createPublicKey } from 'node:crypto';
import { SigningKeysService } from '../../src/tokens/signing-keys/signing-keys.service.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function hs256(header: object, claims: object, secret: string | Buffer = TEST_JWT_SECRET): string {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** Published example secrets an attacker tries first (jwt.io, framework templates, ours). */
const EXAMPLE_SECRETS = [
  'secret',
  'your-256-bit-secret',
  'your-secret-key',
  'changeme',
  '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7',
  'replace-with-at-least-32-random-bytes-from-openssl-rand',
];

describe('security battery', () => {
  let t: TestApp;
  const responses: Response[] = [];
  const passwordsUsed: string[] = [];
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    // V7.1 / V13: nothing secret leaves in a response or reaches a log line.
    const hash = /\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/;
    const stack = /\n\s+at |node_modules|\.ts:\d+/;
    for (const response of responses) {
      expect(response.text).not.toMatch(hash);
      expect(response.text).not.toMatch(stack);
      expect(response.text).not.toContain(TEST_JWT_SECRET);
      for (const password of passwordsUsed) expect(response.text).not.toContain(password);
    }
    for (const line of t.logs) {
      expect(line).not.toMatch(hash);
      expect(line).not.toContain(TEST_JWT_SECRET);
      for (const password of passwordsUsed) expect(line).not.toContain(password);
    }
    await t.close();
  });

  const keep = (response: Response) => (responses.push(response), response);
  const me = async (token: string) =>
    keep(await t.http.get('/auth/me').set('Authorization', `Bearer ${token}`));
  const user = async () => {
    const created = await signUpAndLogIn(t.http);
    passwordsUsed.push(created.password);
    return created;
  };

  describe('self-contained tokens (RFC 8725, ASVS V3.5)', () => {
    it('refuses alg: none', async () => {
      const u = await user();
      const claims = claimsOf(u.accessToken);
      for (const alg of ['none', 'None', 'NONE']) {
        const token = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}.`;
        expect((await me(token)).status).toBe(401);
      }
    });

    it('refuses algorithm confusion: HS512, and RS256/ES256 headers over our key', async () => {
      const u = await user();
      const claims = claimsOf(u.accessToken);
      const unsigned = (alg: string) => `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
      const hs512 = `${unsigned('HS512')}.${createHmac('sha512', TEST_JWT_SECRET).update(unsigned('HS512')).digest('base64url')}`;
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs256 = `${unsigned('RS256')}.${sign('sha256', Buffer.from(unsigned('RS256')), privateKey).toString('base64url')}`;
      const asHmacKey = `${unsigned('RS256')}.${createHmac('sha256', TEST_JWT_SECRET).update(unsigned('RS256')).digest('base64url')}`;
      for (const token of [hs512, rs256, asHmacKey]) expect((await me(token)).status).toBe(401);
    });

    it('refuses a tampered payload (another user’s sub under the original signature)', async () => {
      const [a, b] = [await user(), await user()];
      const [header, , signature] = a.accessToken.split('.');
      const forged = `${header}.${b64({ ...claimsOf(a.accessToken), sub: b.id })}.${signature}`;
      expect((await me(forged)).status).toBe(401);
    });

    it('refuses a wrong issuer or audience, even correctly signed', async () => {
      const u = await user();
      const claims = claimsOf(u.accessToken);
      for (const change of [{ iss: 'someone-else' }, { aud: 'another-api' }, { aud: undefined }]) {
        expect(
          (await me(hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, ...change }))).status,
        ).toBe(401);
      }
    });

    it('refuses expired and not-yet-valid tokens', async () => {
      const u = await user();
      const claims = claimsOf(u.accessToken);
      const now = Math.floor(Date.now() / 1000);
      const expired = hs256({ alg: 'HS256' }, { ...claims, iat: now - 3600, exp: now - 60 });
      const early = hs256({ alg: 'HS256' }, { ...claims, nbf: now + 3600 });
      expect((await me(expired)).body.detail).toMatch(/expired/);
      expect((await me(early)).status).toBe(401);
    });

    it('refuses tokens signed with published example secrets', async () => {
      const u = await user();
      const claims = claimsOf(u.accessToken);
      for (const secret of EXAMPLE_SECRETS) {
        expect((await me(hs256({ alg: 'HS256', typ: 'JWT' }, claims, secret))).status).toBe(401);
      }
    });

    it('does not let access and refresh tokens stand in for each other', async () => {
      const u = await user();
      expect((await me(u.refreshToken)).status).toBe(401);
      const swapped = keep(
        await t.http.post('/auth/refresh').send({ refresh_token: u.accessToken }),
      );
      expect(swapped.status).toBe(401);
    });

    it('refuses a validly signed token for a session that never existed', async () => {
      const u = await user();
      const claims = { ...claimsOf(u.accessToken), sid: randomUUID(), jti: randomUUID() };
      expect((await me(hs256({ alg: 'HS256', typ: 'JWT' }, claims))).status).toBe(401);
    });
  });

  describe('sessions (RFC 9700 §4.14, ASVS V3.3)', () => {
    it('a replayed refresh token revokes the whole session', async () => {
      const u = await user();
      const first = keep(
        await t.http.post('/auth/refresh').send({ refresh_token: u.refreshToken }),
      );
      expect(first.status).toBe(200);
      // Replayed past the reuse grace (issue #23): the database's clock says it was long ago.
      await t.dataSource.query(
        `UPDATE refresh_tokens SET rotated_at = now() - interval '1 minute' WHERE token_hash = $1`,
        [createHash('sha256').update(u.refreshToken).digest('hex')],
      );
      const replay = keep(
        await t.http.post('/auth/refresh').send({ refresh_token: u.refreshToken }),
      );
      expect(replay.status).toBe(401);
      expect((await me(first.body.access_token as string)).status).toBe(401);
      const next = keep(
        await t.http.post('/auth/refresh').send({ refresh_token: first.body.refresh_token }),
      );
      expect(next.status).toBe(401);
    });

    it('logout kills the access token and the refresh token', async () => {
      const u = await user();
      keep(await t.http.post('/auth/logout').set('Authorization', `Bearer ${u.accessToken}`));
      expect((await me(u.accessToken)).status).toBe(401);
      const refresh = keep(
        await t.http.post('/auth/refresh').send({ refresh_token: u.refreshToken }),
      );
      expect(refresh.status).toBe(401);
    });

    it('logout-all kills both tokens of every session', async () => {
      const u = await user();
      const other = await logIn(t.http, u, 'other-device');
      keep(await t.http.post('/auth/logout-all').set('Authorization', `Bearer ${u.accessToken}`));
      for (const session of [u, other]) {
        expect((await me(session.accessToken)).status).toBe(401);
        const refresh = keep(
          await t.http.post('/auth/refresh').send({ refresh_token: session.refreshToken }),
        );
        expect(refresh.status).toBe(401);
      }
    });
  });

  describe('authentication (ASVS V2)', () => {
    it('answers an unknown user and a wrong password identically, in comparable time', async () => {
      const u = await user();
      const attempt = async (name: string) => {
        const started = performance.now();
        const response = keep(
          await t.http
            .post('/auth/login')
            .send({ username_or_email: name, password: 'wrong guess 1' }),
        );
        return { response, ms: performance.now() - started };
      };
      const wrong = await attempt(u.username);
      const unknown = await attempt(`nobody_${randomUUID().slice(0, 8)}`);
      const strip = ({ request_id: _, ...rest }: Record<string, unknown>) => rest;
      expect(strip(wrong.response.body)).toEqual(strip(unknown.response.body));
      expect(wrong.response.headers['www-authenticate']).toBe(
        unknown.response.headers['www-authenticate'],
      );
      // At cost 4 both take a few ms; the login suite measures this at cost 10.
      expect(unknown.ms).toBeLessThan(wrong.ms * 5 + 20);
    });

    it('refuses mass-assignment fields at signup', async () => {
      for (const extra of [
        { is_active: false },
        { id: randomUUID() },
        { email_verified: true },
        { role: 'admin' },
      ]) {
        const response = keep(await t.http.post('/auth/signup').send({ ...newSignup(), ...extra }));
        expect(response.status).toBe(422);
        expect(response.body.errors[0].message).toBe('is not an accepted field');
      }
    });

    it('keeps usernames and emails unique ignoring case', async () => {
      const u = await signUp(t.http);
      const sameName = keep(
        await t.http.post('/auth/signup').send(newSignup({ username: u.username.toUpperCase() })),
      );
      const sameEmail = keep(
        await t.http.post('/auth/signup').send(newSignup({ email: u.email.toUpperCase() })),
      );
      expect([sameName.status, sameEmail.status]).toEqual([409, 409]);
    });

    it('never lets SQL or LIKE metacharacters match another row or raise a 5xx', async () => {
      await user();
      const hostile = [
        "' OR '1'='1",
        '%',
        '_%',
        '*',
        "admin'--",
        '\\',
        '%_%',
        "'; DROP TABLE users; --",
      ];
      for (const value of hostile) {
        const login = keep(
          await t.http.post('/auth/login').send({ username_or_email: value, password: value }),
        );
        expect([401, 422]).toContain(login.status);
        const forgot = keep(await t.http.post('/auth/forgot-password').send({ email: value }));
        expect(forgot.status).toBeLessThan(500);
        const signup = keep(
          await t.http
            .post('/auth/signup')
            .send({ email: value, username: value, password: value }),
        );
        expect(signup.status).toBe(422);
      }
    });

    it('cannot make two passwords equal through bcrypt’s 72-byte limit', async () => {
      const prefix = 'p'.repeat(72);
      const long = keep(
        await t.http.post('/auth/signup').send(newSignup({ password: `${prefix}A` })),
      );
      expect(long.status).toBe(422);
      const u = await signUp(t.http, { password: prefix });
      const extended = keep(
        await t.http
          .post('/auth/login')
          .send({ username_or_email: u.username, password: `${prefix}B` }),
      );
      expect(extended.status).toBe(401);
    });
  });

  describe('HTTP surface (ASVS V13, V14)', () => {
    it('answers oversized, malformed and wrongly typed bodies with 4xx problem details', async () => {
      const cases = [
        t.http
          .post('/auth/login')
          .set('Content-Type', 'application/json')
          .send('{"username_or_email":'),
        t.http.post('/auth/login').set('Content-Type', 'application/json').send('[]'),
        t.http.post('/auth/login').set('Content-Type', 'application/json').send('null'),
        t.http.post('/auth/login').send({ username_or_email: ['a'], password: { $gt: '' } }),
        t.http
          .post('/auth/signup')
          .send({ email: 'x@example.com', username: 'x'.repeat(200_000), password: 'p' }),
        t.http.post('/auth/refresh').set('Content-Type', 'text/plain').send('token'),
        t.http.post('/auth/reset-password').send({ token: 42, new_password: null }),
      ];
      for (const pending of cases) {
        const response = keep(await pending);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('sends the security headers on every answer', async () => {
      for (const path of ['/', '/auth/me', '/health', '/nowhere', '/docs', '/redoc']) {
        const response = keep(await t.http.get(path));
        expect(response.headers['x-content-type-options'], path).toBe('nosniff');
        expect(response.headers['strict-transport-security'], path).toBeDefined();
        expect(response.headers['x-frame-options'], path).toBeDefined();
        expect(response.headers['x-powered-by'], path).toBeUndefined();
      }
    });

    it('lets no API answer be cached or load anything; the docs pages get their own policy', async () => {
      const signedIn = await signUpAndLogIn(t.http);
      const answers = [
        await t.http.get('/auth/me').set('Authorization', `Bearer ${signedIn.accessToken}`),
        await t.http.post('/auth/refresh').send({ refresh_token: signedIn.refreshToken }),
        await t.http.get('/nowhere'),
      ];
      for (const response of answers.map(keep)) {
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.headers['content-security-policy']).toBe(
          "default-src 'none'; frame-ancestors 'none'",
        );
      }
      for (const path of ['/docs', '/redoc']) {
        const page = keep(await t.http.get(path));
        expect(page.headers['content-security-policy'], path).toContain("default-src 'self'");
        expect(page.headers['cache-control'], path).not.toBe('no-store');
      }
    });
  });
});

/**
 * Issue #18, points 2 and 4: a free lock-out of an account's owner, and revoked tokens that
 * came back after a restart with a shorter token lifetime. Apps of their own: limits on, and
 * instances restarted with other settings.
 */
describe('security battery: owner lock-out and revived tokens (issue #18)', () => {
  const passwordsUsed: string[] = [];
  const bearer = (token: string) => `Bearer ${token}`;
  const eventTypes = async (t: TestApp, accessToken: string): Promise<string[]> => {
    const listed = await t.http
      .get('/auth/events?limit=100')
      .set('Authorization', bearer(accessToken));
    expect(listed.status).toBe(200);
    return (listed.body.events as { type: string }[]).map((event) => event.type);
  };

  describe('per-account budgets (ASVS V2.2.1)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        RATE_LIMIT_LOGIN_ACCOUNT: '3/1m',
        RATE_LIMIT_FORGOT_PASSWORD_ACCOUNT: '2/1h',
        LOGIN_BACKOFF_AFTER_FAILURES: '0',
      });
    });
    afterAll(async () => {
      for (const line of t.logs) {
        for (const password of passwordsUsed) expect(line).not.toContain(password);
      }
      await t.close();
    });
    const owner = async () => {
      const created = await signUp(t.http);
      passwordsUsed.push(created.password);
      return created;
    };

    it('spends none of an account’s login budget on bodies refused by validation', async () => {
      const u = await owner();
      const refusedBodies = [
        { username_or_email: u.username, password: '' },
        { username_or_email: u.username },
        { username_or_email: u.username, password: 'x', extra: true },
        { username_or_email: u.username, password: 42 },
      ];
      for (const body of [...refusedBodies, ...refusedBodies]) {
        const response = await t.http.post('/auth/login').send(body);
        expect(response.status, JSON.stringify(body)).toBe(422);
      }
      const right = await t.http
        .post('/auth/login')
        .send({ username_or_email: u.username, password: u.password });
      expect(right.status, JSON.stringify(right.body)).toBe(200);
    });

    it('spends none of an email’s password-reset budget on bodies refused by validation', async () => {
      const u = await owner();
      for (let n = 0; n < 3; n += 1) {
        const refused = await t.http
          .post('/auth/forgot-password')
          .send({ email: u.email, extra: true });
        expect(refused.status).toBe(422);
      }
      expect((await t.http.post('/auth/forgot-password').send({ email: u.email })).status).toBe(
        202,
      );
    });

    it('shows the owner, once per window, that logins to their account were refused', async () => {
      const u = await owner();
      const { accessToken } = await logIn(t.http, u);
      const statuses: number[] = [];
      for (let n = 0; n < 6; n += 1) {
        const guess = await t.http
          .post('/auth/login')
          .send({ username_or_email: u.username.toUpperCase(), password: `guess ${n}` });
        statuses.push(guess.status);
      }
      // The login above counted too: two guesses are checked, the rest refused unhashed.
      expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
      const refusedOwner = await t.http
        .post('/auth/login')
        .send({ username_or_email: u.username, password: u.password });
      expect(refusedOwner.status).toBe(429);
      expect(refusedOwner.body.type).toBe('https://whazz.audio/problems/rate-limited');
      const types = await eventTypes(t, accessToken);
      expect(types.filter((type) => type === 'login_rate_limited')).toHaveLength(1);
      expect(types.filter((type) => type === 'login_failed')).toHaveLength(2);
    });
  });

  describe('revocation across restarts (ASVS V3.3.1)', () => {
    const running = new Set<TestApp>();
    const start = async (env: Record<string, string> = {}) => {
      const app = await createTestApp(env);
      running.add(app);
      return app;
    };
    const stop = async (app: TestApp) => {
      running.delete(app);
      await app.close();
    };
    afterAll(async () => {
      vi.useRealTimers();
      await Promise.all([...running].map((app) => app.close()));
    });
    const me = (t: TestApp, token: string) =>
      t.http.get('/auth/me').set('Authorization', bearer(token));

    it('keeps a logged-out token refused after a restart with a shorter token lifetime', async () => {
      const before = await start();
      const u = await signUpAndLogIn(before.http);
      passwordsUsed.push(u.password);
      expect(
        (await before.http.post('/auth/logout').set('Authorization', bearer(u.accessToken))).status,
      ).toBe(200);
      await stop(before);

      const after = await start({ ACCESS_TOKEN_EXPIRE_MINUTES: '1' });
      expect((await me(after, u.accessToken)).status).toBe(401);
    });

    it('keeps a token of the longer lifetime refused once its logout is older than the new one', async () => {
      const before = await start();
      const u = await signUpAndLogIn(before.http);
      passwordsUsed.push(u.password);
      await stop(before);

      // The new lifetime is 1 minute; the token, issued before, lives 15.
      const after = await start({ ACCESS_TOKEN_EXPIRE_MINUTES: '1' });
      expect((await me(after, u.accessToken)).status).toBe(200);
      expect(
        (await after.http.post('/auth/logout').set('Authorization', bearer(u.accessToken))).status,
      ).toBe(200);
      expect((await me(after, u.accessToken)).status).toBe(401);
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 3 * 60_000);
        expect((await me(after, u.accessToken)).status).toBe(401);
      } finally {
        vi.useRealTimers();
      }
    });

    it('refuses a validly signed token without exp or iat, or issued in the future', async () => {
      const t = await start();
      const u = await signUpAndLogIn(t.http);
      passwordsUsed.push(u.password);
      const { sub, sid, jti, iss, aud } = claimsOf(u.accessToken);
      const claims = { sub, sid, jti, iss, aud };
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'HS256', typ: 'JWT' };
      const forged = {
        'no exp': hs256(header, { ...claims, iat: now }),
        'no iat': hs256(header, { ...claims, exp: now + 600 }),
        'iat in an hour': hs256(header, { ...claims, iat: now + 3600, exp: now + 4200 }),
      };
      for (const [name, token] of Object.entries(forged)) {
        const response = await me(t, token);
        expect(response.status, name).toBe(401);
        expect(response.headers['content-type'], name).toMatch(/^application\/problem\+json/);
      }
      expect((await me(t, u.accessToken)).status).toBe(200);
    });
  });
});

/**
 * Issue 18 points 5, 9 and 10: what the black-box attack slipped in through addresses and
 * names. A trusted proxy (TRUST_PROXY=1) lets X-Forwarded-For carry each textual address form.
 */
describe('security battery: addresses and names (issue 18 points 5, 9, 10)', () => {
  let t: TestApp;
  let outbox: string;
  beforeAll(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'whazz-battery-outbox-'));
    t = await createTestApp({
      TRUST_PROXY: '1',
      RATE_LIMIT_LOGIN: '3/1m',
      LOGIN_BACKOFF_AFTER_FAILURES: '0',
      MAIL_OUTBOX_DIR: outbox,
    });
  });
  afterAll(async () => {
    await t.close();
    await rm(outbox, { recursive: true, force: true });
  });

  const id = () => randomUUID().slice(0, 8);
  const signup = (overrides: Parameters<typeof newSignup>[0]) =>
    t.http.post('/auth/signup').send(newSignup(overrides));
  const mailsSent = async () => {
    await t.app.get(MailService).settled();
    const files = await readdir(outbox).catch(() => []);
    return Promise.all(files.map((file) => readFile(join(outbox, file), 'utf8')));
  };
  const login = (forwardedFor: string) =>
    t.http
      .post('/auth/login')
      .set('X-Forwarded-For', forwardedFor)
      .send({ username_or_email: `nobody_${id()}`, password: 'not the password' });

  /** Quoted local parts, line breaks, and characters that show as nothing or as a space. */
  const HOSTILE_ADDRESSES = [
    '"x\r\nbcc: someone@else.test"@example.com',
    '"alice"@example.com',
    'x\u2028bcc@example.com',
    'x\u2029bcc@example.com',
    'x\u0085bcc@example.com',
    'a\u200b@example.com',
    'a\u00adb@example.com',
    'a@exa\u200dmple.com',
    'a\u202e@example.com',
    'a\ufeffb@example.com',
    'a\u3164b@example.com',
    'a\u00a0b@example.com',
    'a@example.com\u200b',
  ];

  it('refuses quoted local parts, control and invisible characters in addresses at signup', async () => {
    for (const email of HOSTILE_ADDRESSES) {
      const response = await signup({ email });
      expect(response.status, JSON.stringify(email)).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors[0].field).toBe('email');
    }
    const stored = await t.dataSource.query<unknown[]>(
      `SELECT email FROM users WHERE email ~ '["\\r\\n]' OR email ~ '[^\\x21-\\x7e]'`,
    );
    expect(stored).toEqual([]);
    expect((await mailsSent()).join('')).not.toMatch(/bcc:|someone@else/i);
  });

  it('keeps free text out of the notice change-email sends to the owner', async () => {
    const owner = await signUpAndLogIn(t.http);
    for (const newEmail of HOSTILE_ADDRESSES) {
      const response = await t.http
        .post('/auth/change-email')
        .set('Authorization', `Bearer ${owner.accessToken}`)
        .send({ new_email: newEmail, password: owner.password });
      expect(response.status, JSON.stringify(newEmail)).toBe(422);
      expect(response.body.errors[0].field).toBe('new_email');
    }
    const toOwner = (await mailsSent()).filter((mail) => mail.includes(`To: ${owner.email}\n`));
    expect(toOwner.join('')).not.toMatch(/bcc|someone@else|\u2028|\u200b/i);
  });

  it('stores an internationalised domain in one (ASCII) form, so one mailbox is one account', async () => {
    const local = `idn.${id()}`;
    const first = await signup({ email: `${local}@Bücher.example` });
    expect(first.status).toBe(201);
    expect(first.body.email).toBe(`${local}@xn--bcher-kva.example`);
    for (const email of [
      `${local}@xn--bcher-kva.example`,
      `${local}@BÜCHER.EXAMPLE`,
      `${local}@bu\u0308cher.example`,
      `${local}@ｂüｃｈｅｒ.example`,
    ]) {
      const again = await signup({ email });
      expect(again.status, email).toBe(409);
      expect(again.body.type).toBe('https://whazz.audio/problems/email-taken');
    }
  });

  it('counts IPv4-mapped IPv6 forms as the IPv4 address they carry', async () => {
    for (const form of ['::ffff:c633:6407', '0:0:0:0:0:ffff:198.51.100.7', '::FFFF:198.51.100.7']) {
      expect((await login(form)).status, form).toBe(401);
    }
    expect((await login('198.51.100.7')).status).toBe(429);
  });

  it('records the IPv4 address on the session and the security events', async () => {
    const u = await signUp(t.http);
    const response = await t.http
      .post('/auth/login')
      .set('X-Forwarded-For', '0:0:0:0:0:ffff:cb00:7109')
      .send({ username_or_email: u.username, password: u.password });
    expect(response.status).toBe(200);
    const bearer = `Bearer ${response.body.access_token as string}`;
    const sessions = await t.http.get('/auth/sessions').set('Authorization', bearer);
    expect(sessions.body[0].ip_address).toBe('203.0.113.9');
    const events = await t.http.get('/auth/events').set('Authorization', bearer);
    const types = (events.body.events as { type: string; ip_address: string }[]).filter(
      (event) => event.type === 'login_succeeded',
    );
    expect(types.map((event) => event.ip_address)).toEqual(['203.0.113.9']);
  });

  it('refuses a username that looks like an existing one (TR39 skeleton, case, I/l/1, 0/O)', async () => {
    const tag = id();
    const taken = async (username: string) => {
      const response = await signup({ username });
      expect(response.status, username).toBe(409);
      expect(response.body.type).toBe('https://whazz.audio/problems/username-taken');
      expect(response.body.errors).toEqual([{ field: 'username', message: expect.any(String) }]);
    };
    expect((await signup({ username: `bill_${tag}` })).status).toBe(201);
    for (const lookalike of [`biII_${tag}`, `BILL_${tag}`, `bi1l_${tag}`, `b1Il_${tag}`]) {
      await taken(lookalike);
    }
    expect((await signup({ username: `admin_${tag}` })).status).toBe(201);
    for (const lookalike of [`adm1n_${tag}`, `adrnin_${tag}`, `ADMlN_${tag}`]) {
      await taken(lookalike);
    }
    expect((await signup({ username: `olga_${tag}` })).status).toBe(201);
    await taken(`0lga_${tag}`);
    expect((await signup({ username: `bell_${tag}` })).status).toBe(201);
  });

  it('refuses usernames made only of punctuation', async () => {
    for (const username of ['...', '_-_', '---', '._.', '_'.repeat(32)]) {
      const response = await signup({ username });
      expect(response.status, username).toBe(422);
      expect(response.body.errors).toEqual([
        { field: 'username', message: 'must contain a letter or a digit' },
      ]);
    }
  });
});

/**
 * Issue #18, points 3, 6, 7 and 8: ways around the account's mail links. An app of its own,
 * with a real SMTP server to read the links from, verified email required and the mail limits
 * on; each request from a client address of its own, so only the limit under test counts.
 */
describe('mail links: lock-out, mail bombing, revocation, conflicts (issue #18)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      TRUST_PROXY: '1',
      REQUIRE_VERIFIED_EMAIL: 'true',
      RATE_LIMIT_CHANGE_EMAIL: '5/1h',
      RATE_LIMIT_CHANGE_EMAIL_TARGET: '3/1h',
      RATE_LIMIT_VERIFY_EMAIL_REQUEST: '10/1h',
      RATE_LIMIT_VERIFY_EMAIL_REQUEST_ACCOUNT: '3/1h',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const problem = (code: string) => `https://whazz.audio/problems/${code}`;
  /** An IPv6 /64 of its own (documentation range), believed through TRUST_PROXY. */
  const newClient = () => {
    const [a, b] = [randomUUID().slice(0, 4), randomUUID().slice(0, 4)];
    return `2001:db8:${a}:${b}::1`;
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const mailsTo = (to: string, subject: RegExp) =>
    smtp.received.filter((mail) => mail.to === to && subject.test(mail.subject));
  const verify = (token: string) => t.http.post('/auth/verify-email').send({ token });
  const askForLink = (email: string, client = newClient()) =>
    t.http.post('/auth/verify-email/request').set('X-Forwarded-For', client).send({ email });
  const emailOf = async (id: string) =>
    (
      await t.dataSource.query<[{ email: string }]>('SELECT email FROM users WHERE id = $1', [id])
    )[0].email;
  /** Signed up, verified through the link mailed at signup, and signed in. */
  const verifiedUser = async () => {
    const user = await signUp(t.http);
    const token = tokenIn(await smtp.mailTo(user.email, /Confirm your email/));
    expect((await verify(token)).status).toBe(200);
    return { ...user, ...(await logIn(t.http, user, 'owner')) };
  };
  const changeEmail = (accessToken: string, password: string, newEmail: string) =>
    t.http
      .post('/auth/change-email')
      .set(bearer(accessToken))
      .send({ new_email: newEmail, password });

  describe('point 3: an unverified account locked out by REQUIRE_VERIFIED_EMAIL', () => {
    it('gets a new link without a session, and the 403 names the route to ask for it', async () => {
      const user = await signUp(t.http);
      await smtp.mailTo(user.email, /Confirm your email/);
      // The link mailed at signup expired (or the account predates verification).
      await t.dataSource.query(
        `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [user.id],
      );
      const credentials = { username_or_email: user.username, password: user.password };
      const refused = await t.http.post('/auth/login').send(credentials);
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe(problem('email-not-verified'));
      expect(refused.body.detail).toContain('POST /auth/verify-email/request');

      const asked = await askForLink(` ${user.email.toUpperCase()} `);
      expect(asked.status).toBe(202);
      await expect.poll(() => mailsTo(user.email, /Confirm your email/).length).toBe(2);
      const token = tokenIn(mailsTo(user.email, /Confirm your email/)[1]!);
      expect((await verify(token)).status).toBe(200);
      expect((await t.http.post('/auth/login').send(credentials)).status).toBe(200);
    });

    it('answers an unknown or already verified address as it answers a known one, mailing neither', async () => {
      const unverified = await signUp(t.http);
      const verified = await verifiedUser();
      const nobody = `nobody.${randomUUID().slice(0, 8)}@example.com`;
      const answers = [
        await askForLink(unverified.email),
        await askForLink(verified.email),
        await askForLink(nobody),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(202);
        expect(answer.body).toEqual(answers[0]!.body);
      }
      await expect.poll(() => mailsTo(unverified.email, /Confirm your email/).length).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(mailsTo(verified.email, /Confirm your email/)).toHaveLength(1);
      expect(mailsTo(nobody, /./)).toHaveLength(0);
    });

    it('limits the public request per target address and per client address', async () => {
      const target = `target.${randomUUID().slice(0, 8)}@example.com`;
      const perTarget = [];
      for (let n = 0; n < 4; n += 1) perTarget.push((await askForLink(target)).status);
      expect(perTarget).toEqual([202, 202, 202, 429]);

      const client = newClient();
      const perClient = [];
      for (let n = 0; n < 11; n += 1) {
        const email = `someone.${randomUUID().slice(0, 8)}@example.com`;
        perClient.push((await askForLink(email, client)).status);
      }
      expect(perClient).toEqual([...Array<number>(10).fill(202), 429]);
    });
  });

  it("point 6: two accounts cannot fill a stranger's inbox with email-change confirmations", async () => {
    const stranger = `stranger.${randomUUID().slice(0, 8)}@example.com`;
    const statuses: number[] = [];
    for (const attacker of [await verifiedUser(), await verifiedUser()]) {
      for (let n = 0; n < 5; n += 1) {
        statuses.push(
          (await changeEmail(attacker.accessToken, attacker.password, stranger)).status,
        );
      }
    }
    expect(statuses).toEqual([202, 202, 202, ...Array<number>(7).fill(429)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsTo(stranger, /Confirm your new email/)).toHaveLength(3);
  });

  describe('point 7: someone who had the password started a change to their own address', () => {
    /** The owner's account, and the intruder's pending link that would take it. */
    const intruded = async () => {
      const owner = await verifiedUser();
      const intruder = await logIn(t.http, owner, 'intruder');
      const intruderEmail = newSignup().email;
      const asked = await changeEmail(intruder.accessToken, owner.password, intruderEmail);
      expect(asked.status).toBe(202);
      const takeover = tokenIn(await smtp.mailTo(intruderEmail, /Confirm your new email/));
      return { owner, takeover };
    };

    it('ending every session voids the pending change', async () => {
      const { owner, takeover } = await intruded();
      const ended = await t.http.post('/auth/logout-all').set(bearer(owner.accessToken));
      expect(ended.status).toBe(200);
      const followed = await verify(takeover);
      expect(followed.status).toBe(400);
      expect(followed.body.type).toBe(problem('invalid-account-token'));
      expect(await emailOf(owner.id)).toBe(owner.email);
    });

    it('revoking a session from the sessions list voids the pending change', async () => {
      const { owner, takeover } = await intruded();
      const listed = await t.http.get('/auth/sessions').set(bearer(owner.accessToken));
      const theirs = (listed.body as { id: string; user_agent: string }[]).find(
        (session) => session.user_agent === 'intruder',
      )!;
      const revoked = await t.http
        .delete(`/auth/sessions/${theirs.id}`)
        .set(bearer(owner.accessToken));
      expect(revoked.status).toBe(204);
      expect((await verify(takeover)).status).toBe(400);
      expect(await emailOf(owner.id)).toBe(owner.email);
    });
  });

  it('point 8: a change link whose address was taken meanwhile answers a documented 409 and is not used up', async () => {
    const user = await verifiedUser();
    const wanted = newSignup().email;
    expect((await changeEmail(user.accessToken, user.password, wanted)).status).toBe(202);
    const token = tokenIn(await smtp.mailTo(wanted, /Confirm your new email/));
    const squatter = await signUp(t.http, { email: wanted });

    const conflict = await verify(token);
    expect(conflict.status).toBe(409);
    expect(conflict.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(conflict.body.type).toBe(problem('new-email-taken'));
    expect(await emailOf(user.id)).toBe(user.email);

    // The address is freed again: the same link now finishes the change.
    const squatterLink = tokenIn(await smtp.mailTo(wanted, /Confirm your email/));
    expect((await verify(squatterLink)).status).toBe(200);
    const squatterSession = await logIn(t.http, squatter);
    const gone = await t.http
      .delete('/auth/me')
      .set(bearer(squatterSession.accessToken))
      .send({ password: squatter.password });
    expect(gone.status).toBe(204);
    expect((await verify(token)).status).toBe(200);
    expect(await emailOf(user.id)).toBe(wanted);
  });
});

describe('issue #19: permissions come from the roles held now, never from a token', () => {
  let t: TestApp;
  beforeAll(async () => {
    // HS256: the forged token below must be well signed, with the secret (issue #22).
    t = await createTestApp({ JWT_SIGNING_ALGORITHM: 'HS256' });
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('a validly signed token claiming roles: ["admin"] gets no admin route', async () => {
    const user = await signUpAndLogIn(t.http);
    const forged = hs256(
      { alg: 'HS256', typ: 'JWT' },
      { ...claimsOf(user.accessToken), jti: randomUUID(), roles: ['admin'] },
    );
    // The token itself is accepted: only the claim is ignored.
    expect((await t.http.get('/auth/me').set(bearer(forged))).body.roles).toEqual([]);
    const refused = await t.http.get('/admin/roles').set(bearer(forged));
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('https://whazz.audio/problems/forbidden');
  });

  it('a role taken away ends access at once, though the token still claims it', async () => {
    const { AuthorizationService } =
      await import('../../src/authorization/authorization.service.js');
    const { RolesService } = await import('../../src/authorization/roles.service.js');
    const role = `reader-${randomUUID().slice(0, 8)}`;
    await t.app.get(RolesService).create(role, ['roles:read']);
    const user = await signUp(t.http);
    await t.app.get(AuthorizationService).setUserRoles(user.id, [role]);
    const { accessToken } = await logIn(t.http, user);
    expect(claimsOf(accessToken).roles).toEqual([role]);
    expect((await t.http.get('/admin/roles').set(bearer(accessToken))).status).toBe(200);

    await t.app.get(AuthorizationService).setUserRoles(user.id, []);
    expect((await t.http.get('/admin/roles').set(bearer(accessToken))).status).toBe(403);
    const me = await t.http.get('/auth/me').set(bearer(accessToken));
    expect(me.body).toMatchObject({ roles: [], permissions: [] });
  });
});

describe('security battery: issue #18 points 1 and 11 (slow clients, small leaks)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(() => t.close());

  const is408Problem = (text: string) =>
    /^HTTP\/1\.1 408 /.test(text) && /\r\ncontent-type: application\/problem\+json/i.test(text);

  it('point 1: headers sent a byte at a time get 408 problem details, not 400, once their time is up', async () => {
    const client = rawClient(port);
    void trickle(
      client.socket,
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaa',
      150,
    );
    const { text, ms } = await client.answer;
    expect(is408Problem(text), text).toBe(true);
    expect(ms).toBeLessThan(2500);
  });

  it('point 1: a login body sent a byte at a time, or never, gets 408 within the request timeout', async () => {
    const head =
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n';
    const trickled = rawClient(port);
    const silent = rawClient(port);
    await Promise.all([trickled.connected, silent.connected]);
    trickled.socket.write(head);
    silent.socket.write(head);
    void trickle(trickled.socket, '{"username_or_email":"someone","password":"x"}'.padEnd(80), 200);
    for (const { text, ms } of await Promise.all([trickled.answer, silent.answer])) {
      expect(is408Problem(text), text).toBe(true);
      expect(ms).toBeLessThan(3500);
    }
  });

  it('point 11: /docs serves no stock file of swagger-ui-dist (Petstore page, package.json, maps)', async () => {
    for (const path of [
      '/docs/package.json',
      '/docs/%70ackage.json',
      '/docs/index.html',
      '/docs/swagger-initializer.js',
      '/docs/oauth2-redirect.html',
      '/docs/swagger-ui-bundle.js.map',
      '/docs/swagger-ui.js',
      '/docs/swagger-ui-es-bundle.js',
      '/docs/index.js',
      '/docs/absolute-path.js',
      '/docs/README.md',
      '/docs/LICENSE',
      '/docs/NOTICE',
      '/docs/./package.json',
      '/docs//package.json',
    ]) {
      const response = await t.http.get(path);
      expect(response.status, path).toBe(404);
      expect(response.text, path).not.toMatch(/petstore|"version"/i);
    }
    const page = await t.http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).not.toMatch(/petstore/i);
  });

  it('point 11: a client-chosen X-Request-Id never becomes the request id of a log line or security event', async () => {
    const user = await signUp(t.http);
    const chosen = 'forged-id-of-someone-elses-request';
    const failed = await t.http
      .post('/auth/login')
      .set('X-Request-Id', chosen)
      .send({ username_or_email: user.username, password: 'not the password' });
    expect(failed.status).toBe(401);
    expect(failed.headers['x-request-id']).not.toBe(chosen);
    expect(failed.body.request_id).toBe(failed.headers['x-request-id']);
    const [event] = await t.dataSource.query<{ request_id: string }[]>(
      `SELECT request_id FROM security_events WHERE user_id = $1 AND type = 'login_failed'`,
      [user.id],
    );
    expect(event?.request_id).toBe(failed.headers['x-request-id']);
    const lines = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.request_id === chosen)).toBe(false);
    expect(
      lines.find((line) => line.request_id === failed.headers['x-request-id'])?.client_request_id,
    ).toBe(chosen);

    // Too long, or with characters a log reader could trip on: not kept at all.
    for (const hostile of ['x'.repeat(129), 'a"b', 'id with spaces', 'é']) {
      const answer = await t.http.get('/health/live').set('X-Request-Id', hostile);
      const line = t.logs
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.request_id === answer.headers['x-request-id']);
      expect(line, hostile).toBeDefined();
      expect(line, hostile).not.toHaveProperty('client_request_id');
    }
  });
});

// An app of its own: supertest's kept-alive connections would count against the cap.
describe('security battery: issue #18 point 1 (connections per address)', () => {
  it('point 1: one address cannot hold more connections than the cap; another still gets in', async () => {
    const capped = await createTestApp({ CONNECTIONS_PER_ADDRESS: '4' });
    await capped.app.listen(0, '127.0.0.1');
    const port = (capped.app.getHttpServer().address() as { port: number }).port;
    const held = Array.from({ length: 4 }, () => rawClient(port));
    try {
      await Promise.all(held.map((client) => client.connected));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const refused = rawClient(port);
      refused.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await refused.answer).text).toBe('');
      const other = rawClient(port, '127.0.0.3');
      other.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect((await other.answer).text).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      for (const client of held) client.socket.destroy();
      await capped.close();
    }
  });
});

describe('security battery: issue #18 point 11 (production start-up)', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it('production refuses to start without SMTP_URL, with APP_PUBLIC_URL at localhost or without a signing-key encryption key', async () => {
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        JWT_SECRET: randomUUID().repeat(2),
        APP_PUBLIC_URL: 'http://127.0.0.1:8000',
        EMBEDDED_DATABASE_DIR: 'memory://',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('SMTP_URL: must be set when NODE_ENV=production');
    expect(output).toContain('APP_PUBLIC_URL: must not point at localhost');
    // Issue #22: private signing keys are never sealed with a key everyone can read.
    expect(output).toContain(
      'SIGNING_KEY_ENCRYPTION_KEY: must be set when NODE_ENV=production and JWT_SIGNING_ALGORITHM=EdDSA',
    );
    expect(output).not.toMatch(/\n\s+at /);
  }, 30_000);
});

describe('issue #19: the admin users API and the audit log', () => {
  let t: TestApp;
  let operator: Awaited<ReturnType<typeof signUpAndLogIn>>;
  beforeAll(async () => {
    t = await createTestApp();
    // A role of its own with every admin permission (not `admin`, which other suites reassign),
    // granted before the login that reads the roles.
    const signedUp = await signUp(t.http);
    await t.dataSource.query(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, unnest(ARRAY['users:read', 'users:write', 'users:delete',
                          'sessions:revoke', 'users:reset-password', 'audit:read']) FROM role)
       INSERT INTO user_roles (user_id, role_id) SELECT $2, id FROM role`,
      [`battery-${randomUUID().slice(0, 8)}`, signedUp.id],
    );
    operator = { ...signedUp, ...(await logIn(t.http, signedUp)) };
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const problem = (code: string) => `https://whazz.audio/problems/${code}`;

  it('an account without permissions changes nothing through any admin route (403 forbidden)', async () => {
    const [intruder, victim] = await Promise.all([signUpAndLogIn(t.http), signUpAndLogIn(t.http)]);
    const as = bearer(intruder.accessToken);
    const attempts = [
      t.http.get('/admin/users').set(as),
      t.http.get(`/admin/users/${victim.id}`).set(as),
      t.http.post('/admin/users').set(as).send({ email: 'x@example.com', username: 'xyz_1' }),
      t.http.patch(`/admin/users/${victim.id}`).set(as).send({ email: 'mine@example.com' }),
      t.http.post(`/admin/users/${victim.id}/disable`).set(as).send({ reason: 'mine' }),
      t.http.delete(`/admin/users/${victim.id}`).set(as),
      t.http.post(`/admin/users/${victim.id}/sessions/revoke-all`).set(as).send({}),
      t.http.post(`/admin/users/${victim.id}/password-reset`).set(as).send({}),
      t.http.get('/admin/audit').set(as),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status, response.request.url).toBe(403);
      expect(response.body.type).toBe(problem('forbidden'));
    }
    const me = await t.http.get('/auth/me').set(bearer(victim.accessToken));
    expect(me.body).toMatchObject({ email: victim.email, is_active: true });
  });

  it('a cursor signed with the JWT secret itself, or edited, is refused (400), never run', async () => {
    const sign = (body: string) => createHmac('sha256', TEST_JWT_SECRET).update(body).digest();
    const body = Buffer.from(JSON.stringify({ id: '1' })).toString('base64url');
    const forged = `${body}.${sign(body).toString('base64url')}`;
    const listings = ['/admin/audit', '/admin/users'];
    for (const path of listings) {
      const response = await t.http
        .get(`${path}?cursor=${encodeURIComponent(forged)}`)
        .set(bearer(operator.accessToken));
      expect(response.status, path).toBe(400);
      expect(response.body.type).toBe(problem('invalid-cursor'));
    }
  });

  it('search text is a prefix, never a pattern or SQL', async () => {
    for (const q of ['%', '_', "' OR 1=1 --", '\\']) {
      const response = await t.http
        .get(`/admin/users?q=${encodeURIComponent(q)}`)
        .set(bearer(operator.accessToken));
      expect(response.status, q).toBe(200);
      expect(response.body.users, q).toEqual([]);
    }
  });

  it('no password hash reaches an audit entry or an admin answer', async () => {
    const created = await t.http
      .post('/admin/users')
      .set(bearer(operator.accessToken))
      .send({
        email: `${randomUUID().slice(0, 8)}@example.com`,
        username: `u_${randomUUID().slice(0, 8)}`,
        password: 'a perfectly fine passphrase',
      });
    expect(created.status).toBe(201);
    const detail = await t.http
      .get(`/admin/users/${created.body.id as string}`)
      .set(bearer(operator.accessToken));
    const audit = await t.http
      .get(`/admin/audit?target_user=${created.body.id as string}`)
      .set(bearer(operator.accessToken));
    for (const text of [JSON.stringify(created.body), detail.text, audit.text]) {
      expect(text).not.toMatch(/\$2[aby]\$|password/i);
    }
  });

  it("the user's own events do not name the administrator, their address or browser by default", async () => {
    const user = await signUpAndLogIn(t.http);
    await t.http
      .post(`/admin/users/${user.id}/sessions/revoke-all`)
      .set(bearer(operator.accessToken))
      .set('User-Agent', 'support-console/1.0')
      .send({});
    const again = await logIn(t.http, user);
    const events = await t.http.get('/auth/events').set(bearer(again.accessToken));
    const event = (events.body.events as { type: string }[]).find(
      ({ type }) => type === 'sessions_ended_by_administrator',
    );
    expect(event).toMatchObject({ administrator: null, ip_address: null, user_agent: null });
    expect(events.text).not.toContain(operator.username);
  });
});

describe('issue #19: impersonation for support', () => {
  let t: TestApp;
  let agent: Awaited<ReturnType<typeof signUpAndLogIn>>;
  beforeAll(async () => {
    t = await createTestApp();
    // Support with the one permission, as a custom role granted before the login.
    const signedUp = await signUp(t.http);
    await t.dataSource.query(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, 'users:impersonate' FROM role)
       INSERT INTO user_roles (user_id, role_id) SELECT $2, id FROM role`,
      [`battery-${randomUUID().slice(0, 8)}`, signedUp.id],
    );
    agent = { ...signedUp, ...(await logIn(t.http, signedUp)) };
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const problem = (code: string) => `https://whazz.audio/problems/${code}`;
  const impersonate = (id: string) =>
    t.http
      .post(`/admin/users/${id}/impersonate`)
      .set(bearer(agent.accessToken))
      .send({ reason: 'battery' });

  it('an impersonated token cannot shed its act claim, and cannot take the account over', async () => {
    const victim = await signUpAndLogIn(t.http);
    const opened = await impersonate(victim.id);
    expect(opened.status).toBe(200);
    const token = opened.body.access_token as string;
    const { act, ...withoutAct } = claimsOf(token);
    expect(act).toEqual({ sub: agent.id });
    for (const stripped of [
      hs256({ alg: 'HS256', typ: 'JWT' }, withoutAct, 'not-the-secret'),
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64(withoutAct)}.`,
      `${token.split('.')[0]}.${b64(withoutAct)}.${token.split('.')[2]}`,
    ]) {
      expect((await t.http.get('/auth/me').set(bearer(stripped))).status).toBe(401);
    }
    const takeovers = [
      t.http
        .post('/auth/change-password')
        .set(bearer(token))
        .send({ current_password: victim.password, new_password: 'mine now, all mine' }),
      t.http
        .post('/auth/change-email')
        .set(bearer(token))
        .send({
          new_email: `thief.${randomUUID().slice(0, 8)}@example.com`,
          password: victim.password,
        }),
      t.http.delete('/auth/me').set(bearer(token)).send({ password: victim.password }),
      t.http.post(`/admin/users/${victim.id}/impersonate`).set(bearer(token)).send({ reason: 'x' }),
    ];
    for (const response of await Promise.all(takeovers)) {
      expect(response.status, response.text).toBe(403);
      expect(response.body.type).toBe(problem('impersonation-forbidden'));
    }
    expect((await logIn(t.http, victim)).accessToken).toEqual(expect.any(String));
  });

  it('support cannot climb to administrator by impersonating one (403), and no session opens', async () => {
    const administrator = await signUp(t.http);
    await t.dataSource.query(
      `INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = 'admin'`,
      [administrator.id],
    );
    const refused = await impersonate(administrator.id);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(problem('impersonation-of-administrator'));
    expect(refused.text).not.toMatch(/access_token|refresh_token/);
    const sessions = await t.dataSource.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [
      administrator.id,
    ]);
    expect(sessions).toHaveLength(0);
  });
});

describe('issue #19 review: an account cannot act on one that holds more than it does', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const bearer = (user: { accessToken: string }) => ({
    Authorization: `Bearer ${user.accessToken}`,
  });
  const outranked = 'https://whazz.audio/problems/target-outranks-actor';
  /** A fresh role with exactly `permissions`, granted in SQL (roles: built-in names). */
  const holding = async (userId: string, permissions: string[] | 'admin' | 'support') => {
    if (typeof permissions === 'string') {
      await t.dataSource.query(
        `INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2`,
        [userId, permissions],
      );
      return;
    }
    await t.dataSource.query(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, unnest($3::text[]) FROM role)
       INSERT INTO user_roles (user_id, role_id) SELECT $2, id FROM role`,
      [`outrank-${randomUUID().slice(0, 8)}`, userId, permissions],
    );
  };
  const signedUpHolding = async (permissions: Parameters<typeof holding>[1]) => {
    const user = await signUp(t.http);
    await holding(user.id, permissions);
    return { ...user, ...(await logIn(t.http, user)) };
  };
  const auditCount = async (targetId: string) =>
    (
      await t.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM audit_entries WHERE target_id = $1`,
        [targetId],
      )
    )[0].count;

  it('users:write, users:delete, sessions:revoke, users:reset-password: 403 on an administrator, nothing changed', async () => {
    const actor = await signedUpHolding([
      'users:read',
      'users:write',
      'users:delete',
      'sessions:revoke',
      'users:reset-password',
    ]);
    const admin = await signedUpHolding('admin');
    const as = bearer(actor);
    const attempts = [
      t.http.patch(`/admin/users/${admin.id}`).set(as).send({ email: 'taken-over@example.com' }),
      t.http.patch(`/admin/users/${admin.id}`).set(as).send({ is_active: false }),
      t.http.post(`/admin/users/${admin.id}/disable`).set(as).send({ reason: 'takeover' }),
      t.http.post(`/admin/users/${admin.id}/enable`).set(as).send({}),
      t.http.delete(`/admin/users/${admin.id}`).set(as),
      t.http.post(`/admin/users/${admin.id}/sessions/revoke-all`).set(as).send({}),
      t.http.post(`/admin/users/${admin.id}/password-reset`).set(as).send({}),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status, JSON.stringify(response.body)).toBe(403);
      expect(response.body.type).toBe(outranked);
    }
    const [row] = await t.dataSource.query<[{ email: string; is_active: boolean }]>(
      'SELECT email, is_active FROM users WHERE id = $1',
      [admin.id],
    );
    expect(row).toEqual({ email: admin.email.toLowerCase(), is_active: true });
    expect((await t.http.get('/auth/me').set(bearer(admin))).status).toBe(200);
    expect(await auditCount(admin.id)).toBe(0);

    // The same actor on a plain account: allowed.
    const plain = await signUpAndLogIn(t.http);
    const patched = await t.http
      .patch(`/admin/users/${plain.id}`)
      .set(as)
      .send({ username: `renamed_${randomUUID().slice(0, 8)}` });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const revoked = await t.http
      .post(`/admin/users/${plain.id}/sessions/revoke-all`)
      .set(as)
      .send({});
    expect(revoked.status).toBe(200);
  });

  it('support (built-in) is refused on an administrator and allowed on a plain account', async () => {
    const support = await signedUpHolding('support');
    const admin = await signedUpHolding('admin');
    const plain = await signUpAndLogIn(t.http);
    const revoke = (id: string) =>
      t.http.post(`/admin/users/${id}/sessions/revoke-all`).set(bearer(support)).send({});
    const refused = await revoke(admin.id);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(outranked);
    expect((await t.http.get('/auth/me').set(bearer(admin))).status).toBe(200);
    expect((await revoke(plain.id)).status).toBe(200);
    expect((await t.http.get('/auth/me').set(bearer(plain))).status).toBe(401);
  });

  it('users:impersonate alone cannot open a session as an account holding more (support)', async () => {
    const agent = await signedUpHolding(['users:impersonate']);
    const [helper, plain] = await Promise.all([signedUpHolding('support'), signUp(t.http)]);
    const impersonate = (id: string) =>
      t.http.post(`/admin/users/${id}/impersonate`).set(bearer(agent)).send({ reason: 'ticket 1' });
    const refused = await impersonate(helper.id);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(outranked);
    expect(await auditCount(helper.id)).toBe(0);
    expect((await impersonate(plain.id)).status).toBe(200);
  });

  it('roles:write cannot demote an administrator, nor grant anyone (itself included) more than it holds', async () => {
    const writer = await signedUpHolding(['users:read', 'roles:read', 'roles:write']);
    const admin = await signedUpHolding('admin');
    const plain = await signUp(t.http);
    const put = (id: string, roles: string[]) =>
      t.http.put(`/admin/users/${id}/roles`).set(bearer(writer)).send({ roles });
    for (const [id, roles] of [
      [admin.id, []],
      [plain.id, ['admin']],
      [plain.id, ['support']],
      [writer.id, ['admin']],
    ] as const) {
      const response = await put(id, [...roles]);
      expect(response.status, `${id} ${roles.join()}`).toBe(403);
      expect(response.body.type).toBe(outranked);
    }
    const held = await t.dataSource.query<{ name: string }[]>(
      `SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ANY($1)`,
      [[admin.id, plain.id]],
    );
    expect(held.map(({ name }) => name)).toEqual(['admin']);

    // A role within what the writer holds can be granted.
    const [{ name: readOnly }] = await t.dataSource.query<[{ name: string }]>(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id, name),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, 'users:read' FROM role)
       SELECT name FROM role`,
      [`reader-${randomUUID().slice(0, 8)}`],
    );
    const granted = await put(plain.id, [readOnly]);
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
  });
});

describe('issue #20: known devices cannot be turned against the account (ASVS V2.2.1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      TRUST_PROXY: '1',
      RATE_LIMIT_LOGIN: '4/1m',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/1m',
      LOGIN_BACKOFF_AFTER_FAILURES: '3',
      LOGIN_BACKOFF_INITIAL_SECONDS: '300',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh client address per call: per-address budgets stay out of the way unless wanted. */
  const newAddress = () => `10.20.${randomInt(256)}.${randomInt(256)}`;
  const login = (
    name: string,
    password: string,
    deviceToken?: string,
    address: string = newAddress(),
  ) =>
    t.http
      .post('/auth/login')
      .set('X-Forwarded-For', address)
      .send({
        username_or_email: name,
        password,
        ...(deviceToken ? { device_token: deviceToken } : { request_device_token: true }),
      });
  const deviceOf = async (user: { username: string; password: string }) => {
    const response = await login(user.username, user.password);
    expect(response.status).toBe(200);
    return response.body as { access_token: string; device_token: string };
  };
  const comparable = ({ request_id: _id, ...rest }: Record<string, unknown>) => rest;

  it('a stolen device token is no guessing oracle: its own failures hold it back, right password or not', async () => {
    const owner = await signUp(t.http);
    const { device_token: stolen } = await deviceOf(owner);
    for (let n = 0; n < 3; n += 1) {
      expect((await login(owner.username, `guess ${n}`, stolen)).status).toBe(401);
    }
    const right = await login(owner.username, owner.password, stolen);
    const wrong = await login(owner.username, 'guess 4', stolen);
    expect(right.status).toBe(429);
    expect(right.body.type).toBe('https://whazz.audio/problems/login-backoff');
    expect(comparable(right.body)).toEqual(comparable(wrong.body));
  });

  it('the per-address limit still holds back a known device', async () => {
    const owner = await signUp(t.http);
    const { device_token } = await deviceOf(owner);
    const address = newAddress();
    const statuses: number[] = [];
    for (let n = 0; n < 5; n += 1) {
      statuses.push((await login(owner.username, owner.password, device_token, address)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('another account’s device token lends no exemption and answers as no token does', async () => {
    const [victim, attacker] = await Promise.all([signUp(t.http), signUp(t.http)]);
    const { device_token: own } = await deviceOf(attacker);
    for (let n = 0; n < 3; n += 1) await login(victim.username, `guess ${n}`);
    const withNone = await login(victim.username, 'guess again');
    const withOwn = await login(victim.username, 'guess again', own);
    const withMadeUp = await login(
      victim.username,
      'guess again',
      randomBytes(32).toString('base64url'),
    );
    for (const response of [withOwn, withMadeUp]) {
      expect(response.status).toBe(withNone.status);
      expect(comparable(response.body)).toEqual(comparable(withNone.body));
    }
    expect(withNone.status).toBe(429);
  });

  it('never shows a device token, or its hash, after the login that issued it', async () => {
    const owner = await signUp(t.http);
    const { access_token, device_token } = await deviceOf(owner);
    const hash = createHash('sha256').update(device_token).digest('hex');
    for (const path of ['/auth/devices', '/auth/sessions', '/auth/events', '/auth/me']) {
      const response = await t.http.get(path).set('Authorization', `Bearer ${access_token}`);
      expect(response.status, path).toBe(200);
      expect(response.text, path).not.toContain(device_token);
      expect(response.text, path).not.toContain(hash);
    }
    for (const line of t.logs) expect(line).not.toContain(device_token);
  });
});

// Social login (issue #21): the attacks of the issue's proof list, each refused. The imports
// sit here so that this block only appends to the file.
import { startForgingOidcServer, type ForgingOidcServer } from '../oauth/forging-oidc-server.js';

describe('security battery: social login (issue #21)', () => {
  const SERVICE = 'http://auth.localhost';
  const APP = 'https://app.example/oauth/done';
  const invalidState = 'https://whazz.audio/problems/invalid-oauth-state';
  const invalidCode = 'https://whazz.audio/problems/invalid-login-code';
  let t: TestApp;
  let forger: ForgingOidcServer;

  beforeAll(async () => {
    forger = await startForgingOidcServer();
    const provider = (name: string) => ({
      [`OAUTH_${name}_ISSUER`]: forger.issuer,
      [`OAUTH_${name}_CLIENT_ID`]: forger.clientId,
      [`OAUTH_${name}_CLIENT_SECRET`]: forger.clientSecret,
    });
    t = await createTestApp({
      OAUTH_PROVIDERS: 'forge,twin',
      ...provider('FORGE'),
      ...provider('TWIN'),
      OAUTH_REDIRECT_URIS: APP,
      OAUTH_CALLBACK_BASE_URL: SERVICE,
    });
  });
  afterAll(async () => {
    // Nothing of the exchange reaches a log line: not the client secret, not a code.
    for (const line of t.logs) expect(line).not.toContain(forger.clientSecret);
    await t?.close();
    await forger?.close();
  });

  /** A sign-in started at the service: the state and nonce it sent to the provider. */
  async function started(provider = 'forge') {
    const response = await t.http
      .get(`/auth/oauth/${provider}/authorize`)
      .query({ redirect_uri: APP });
    expect(response.status).toBe(302);
    const params = new URL(response.headers.location as string).searchParams;
    return { state: params.get('state')!, nonce: params.get('nonce')! };
  }

  const callback = (query: Record<string, string>, provider = 'forge') =>
    t.http.get(`/auth/oauth/${provider}/callback`).query({ code: 'provider-code', ...query });

  /** Where the service sent the browser back, as the app's query parameters. */
  const appAnswer = (response: Response) => {
    expect(response.status).toBe(302);
    const location = new URL(response.headers.location as string);
    expect(location.origin + location.pathname).toBe(APP);
    return Object.fromEntries(location.searchParams);
  };

  async function loginCode(): Promise<string> {
    const { state, nonce } = await started();
    forger.forge({ claims: forger.honestClaims(nonce) });
    return appAnswer(await callback({ state })).code!;
  }

  it('completes with an honest id_token (the control for the forgeries below)', async () => {
    const code = await loginCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await t.http.post('/auth/oauth/token').send({ code })).status).toBe(200);
  });

  it('refuses a callback with no state, an unknown state, or one from another provider', async () => {
    const { state } = await started('twin');
    for (const response of [
      await callback({}),
      await callback({ state: 'made-up-state-value' }),
      await callback({ state }, 'forge'),
    ]) {
      expect(response.status).toBe(400);
      expect(response.body.type).toBe(invalidState);
      expect(response.headers.location).toBeUndefined();
    }
  });

  it('refuses a replayed state and an expired one', async () => {
    const { state, nonce } = await started();
    forger.forge({ claims: forger.honestClaims(nonce) });
    expect(appAnswer(await callback({ state })).code).toBeDefined();
    const replayed = await callback({ state });
    expect(replayed.status).toBe(400);
    expect(replayed.body.type).toBe(invalidState);

    const late = await started();
    await t.dataSource.query(
      `UPDATE oauth_states SET expires_at = now() - interval '1 second'
       WHERE state_hash = encode(sha256($1::bytea), 'hex')`,
      [late.state],
    );
    forger.forge({ claims: forger.honestClaims(late.nonce) });
    expect((await callback({ state: late.state })).status).toBe(400);
  });

  it('refuses a replayed login code and an expired one', async () => {
    const code = await loginCode();
    expect((await t.http.post('/auth/oauth/token').send({ code })).status).toBe(200);
    const replayed = await t.http.post('/auth/oauth/token').send({ code });
    expect(replayed.status).toBe(400);
    expect(replayed.body.type).toBe(invalidCode);

    const late = await loginCode();
    await t.dataSource.query(
      `UPDATE oauth_login_codes SET expires_at = now() - interval '1 second'
       WHERE code_hash = encode(sha256($1::bytea), 'hex')`,
      [late],
    );
    const expired = await t.http.post('/auth/oauth/token').send({ code: late });
    expect(expired.status).toBe(400);
    expect(expired.body.type).toBe(invalidCode);
  });

  it.each([
    ['a wrong aud', (claims: Record<string, unknown>) => ({ ...claims, aud: 'another-client' })],
    [
      'a wrong iss',
      (claims: Record<string, unknown>) => ({ ...claims, iss: 'https://evil.example' }),
    ],
    ['a wrong nonce', (claims: Record<string, unknown>) => ({ ...claims, nonce: 'not-the-nonce' })],
    [
      'an expired one',
      (claims: Record<string, unknown>) => ({
        ...claims,
        iat: Math.floor(Date.now() / 1000) - 7200,
        exp: Math.floor(Date.now() / 1000) - 3600,
      }),
    ],
  ])('refuses an id_token with %s and tells the app, with no code', async (_, tamper) => {
    const { state, nonce } = await started();
    forger.forge({ claims: tamper(forger.honestClaims(nonce)) });
    expect(appAnswer(await callback({ state }))).toEqual({ error: 'invalid_provider_response' });
  });

  it('refuses an id_token signed by a key not in the JWKS, and an unsigned one (alg: none)', async () => {
    for (const forgery of [{ foreignKey: true }, { unsigned: true }]) {
      const { state, nonce } = await started();
      forger.forge({ ...forgery, claims: forger.honestClaims(nonce) });
      expect(appAnswer(await callback({ state }))).toEqual({ error: 'invalid_provider_response' });
    }
  });

  it('returns a provider error to the app, naming only whether the user refused', async () => {
    const denied = await started();
    expect(appAnswer(await callback({ state: denied.state, error: 'access_denied' }))).toEqual({
      error: 'access_denied',
    });
    const other = await started();
    const answer = appAnswer(
      await callback({ state: other.state, error: 'server_error', error_description: '<script>' }),
    );
    expect(answer).toEqual({ error: 'provider_error' });
  });

  it('refuses a redirect URI that differs by a trailing slash, a case or anything else (400)', async () => {
    for (const uri of [
      `${APP}/`,
      APP.toUpperCase(),
      'https://APP.example/oauth/done',
      `${APP}?x=1`,
      'https://evil.example/',
    ]) {
      const response = await t.http.get('/auth/oauth/forge/authorize').query({ redirect_uri: uri });
      expect(response.status, uri).toBe(400);
      expect(response.body.type).toBe('https://whazz.audio/problems/redirect-uri-not-allowed');
      expect(response.headers.location).toBeUndefined();
    }
  });

  it('refuses to take over an account whose owner never verified its email', async () => {
    const victim = await signUp(t.http);
    const { state, nonce } = await started();
    forger.forge({ claims: { ...forger.honestClaims(nonce), email: victim.email } });
    const { code } = appAnswer(await callback({ state }));
    const response = await t.http.post('/auth/oauth/token').send({ code });
    expect(response.status).toBe(409);
    expect(response.body.type).toBe('https://whazz.audio/problems/identity-link-required');
    expect(response.body.access_token).toBeUndefined();
  });

  it('refuses to unlink the last way to sign in (409)', async () => {
    const tokens = await t.http.post('/auth/oauth/token').send({ code: await loginCode() });
    const bearer = { Authorization: `Bearer ${tokens.body.access_token}` };
    const [identity] = (await t.http.get('/auth/identities').set(bearer)).body as { id: string }[];
    const response = await t.http.delete(`/auth/identities/${identity!.id}`).set(bearer);
    expect(response.status).toBe(409);
    expect(response.body.type).toBe('https://whazz.audio/problems/last-sign-in-method');
  });
});

describe('issue #20: second factors', () => {
  let t: TestApp;
  let agent: Awaited<ReturnType<typeof signUpAndLogIn>>;
  beforeAll(async () => {
    t = await createTestApp();
    const signedUp = await signUp(t.http);
    await t.dataSource.query(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, 'users:impersonate' FROM role)
       INSERT INTO user_roles (user_id, role_id) SELECT $2, id FROM role`,
      [`battery-mfa-${randomUUID().slice(0, 8)}`, signedUp.id],
    );
    agent = { ...signedUp, ...(await logIn(t.http, signedUp)) };
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const problem = (code: string) => `https://whazz.audio/problems/${code}`;

  /** An account with TOTP on, and its password-only session. */
  async function enrolled() {
    const user = await signUpAndLogIn(t.http);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(user.accessToken))
      .send({ password: user.password });
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: await previousStepCode(secret) });
    expect(confirmed.status).toBe(200);
    return { ...user, secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }
  const mfaTokenFor = async (user: { username: string; password: string }) => {
    const response = await t.http
      .post('/auth/login')
      .set('User-Agent', 'vitest')
      .send({ username_or_email: user.username, password: user.password });
    expect(response.body.type).toBe(problem('mfa-required'));
    return response.body.mfa_token as string;
  };
  const verify = (body: Record<string, string>) =>
    t.http.post('/auth/mfa/verify').set('User-Agent', 'vitest').send(body);

  it('a right password alone gives no token, and a made-up, expired or used mfa_token opens nothing', async () => {
    const user = await enrolled();
    const step = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    expect(step.status).toBe(403);
    expect(JSON.stringify(step.body)).not.toMatch(/access_token|refresh_token/);

    const code = totpStepsAway(user.secret, 0);
    expect((await verify({ mfa_token: randomUUID(), code })).body.type).toBe(
      problem('invalid-mfa-token'),
    );
    const expired = await mfaTokenFor(user);
    await t.dataSource.query(
      `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect((await verify({ mfa_token: expired, code })).body.type).toBe(
      problem('invalid-mfa-token'),
    );
    const used = await mfaTokenFor(user);
    expect((await verify({ mfa_token: used, code })).status).toBe(200);
    const again = await verify({ mfa_token: used, code: totpStepsAway(user.secret, 1) });
    expect(again.status).toBe(401);
    expect(again.body.type).toBe(problem('invalid-mfa-token'));
  });

  it('one account’s mfa_token does not take another account’s code, and a code is never taken twice', async () => {
    const [alice, bob] = [await enrolled(), await enrolled()];
    const bobsCode = totpStepsAway(bob.secret, 0);
    const crossed = await verify({ mfa_token: await mfaTokenFor(alice), code: bobsCode });
    expect(crossed.status).toBe(401);
    // Two logins racing with one code: exactly one session.
    const tokens = await Promise.all([mfaTokenFor(bob), mfaTokenFor(bob)]);
    const raced = await Promise.all(
      tokens.map((mfaToken) => verify({ mfa_token: mfaToken, code: bobsCode })),
    );
    expect(raced.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('a parallel burst of 20 wrong codes on one mfa_token gets at most 5 checks', async () => {
    const user = await enrolled();
    const mfaToken = await mfaTokenFor(user);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        verify({ mfa_token: mfaToken, code: String(200000 + i) }),
      ),
    );
    const [row] = await t.dataSource.query<{ attempts: number }[]>(
      'SELECT attempts FROM mfa_challenges WHERE user_id = $1',
      [user.id],
    );
    expect(row!.attempts).toBeLessThanOrEqual(5);
    const [failed] = await t.dataSource.query<{ count: string }[]>(
      `SELECT count(*) FROM security_events WHERE user_id = $1 AND type = 'mfa_failed'`,
      [user.id],
    );
    expect(Number(failed!.count)).toBeLessThanOrEqual(5);
  });

  it('a stolen password-only session cannot turn the second factor off, or change the password, without a code', async () => {
    const user = await enrolled();
    const disable = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(user.accessToken))
      .send({ password: user.password, code: '000000' });
    expect(disable.status).toBe(403);
    expect(disable.body.type).toBe(problem('wrong-mfa-code'));
    const change = await t.http
      .post('/auth/change-password')
      .set(bearer(user.accessToken))
      .send({ current_password: user.password, new_password: 'a brand new pass phrase 20' });
    expect(change.body.type).toBe(problem('step-up-required'));
    const deleted = await t.http
      .delete('/auth/me')
      .set(bearer(user.accessToken))
      .send({ password: user.password });
    expect(deleted.body.type).toBe(problem('step-up-required'));
    const [factor] = await t.dataSource.query('SELECT 1 FROM mfa_factors WHERE user_id = $1', [
      user.id,
    ]);
    expect(factor).toBeDefined();
  });

  it('an impersonated session cannot set up, regenerate or disable a second factor', async () => {
    const user = await enrolled();
    const opened = await t.http
      .post(`/admin/users/${user.id}/impersonate`)
      .set(bearer(agent.accessToken))
      .send({ reason: 'battery' });
    expect(opened.status).toBe(200);
    const token = opened.body.access_token as string;
    expect(claimsOf(token).amr).toBeUndefined();
    const body = { password: user.password, recovery_code: user.recoveryCodes[0] };
    for (const [path, sent] of [
      ['/auth/mfa/totp/setup', { password: user.password }],
      ['/auth/mfa/totp/confirm', { code: '123456' }],
      ['/auth/mfa/recovery-codes/regenerate', body],
      ['/auth/mfa/totp/disable', body],
    ] as const) {
      const response = await t.http.post(path).set(bearer(token)).send(sent);
      expect(response.status, path).toBe(403);
      expect(response.body.type).toBe(problem('impersonation-forbidden'));
    }
    // The recovery code was never spent.
    const spent = await verify({
      mfa_token: await mfaTokenFor(user),
      recovery_code: user.recoveryCodes[0]!,
    });
    expect(spent.status).toBe(200);
  });

  it('no response, event or log line carries the secret of an enrolled account', async () => {
    const user = await enrolled();
    const status = await t.http.get('/auth/mfa').set(bearer(user.accessToken));
    const events = await t.http.get('/auth/events').set(bearer(user.accessToken));
    for (const text of [JSON.stringify(status.body), JSON.stringify(events.body), t.logs.join()]) {
      expect(text).not.toContain(user.secret);
    }
  });
});

describe('security battery: issue #20 (second factor required for roles, administrator reset)', () => {
  const required = `battery-mfa-${randomBytes(4).toString('hex')}`;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ MFA_REQUIRED_ROLES: required });
    const { RolesService } = await import('../../src/authorization/roles.service.js');
    const { PERMISSIONS } = await import('../../src/authorization/permissions.js');
    await t.app.get(RolesService).create(required, PERMISSIONS);
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const problem = (code: string) => `https://whazz.audio/problems/${code}`;
  const setRoles = async (userId: string, roles: string[]) => {
    const { AuthorizationService } =
      await import('../../src/authorization/authorization.service.js');
    await t.app.get(AuthorizationService).setUserRoles(userId, roles);
  };

  it('a session limited to enrolment reaches no admin, account or session route, and a re-signed claim is refused', async () => {
    const user = await signUp(t.http);
    await setRoles(user.id, [required]);
    const { accessToken } = await logIn(t.http, user);
    const claims = claimsOf(accessToken);
    expect(claims.mfa_enrolment_required).toBe(true);
    for (const [method, path] of [
      ['get', '/admin/users'],
      ['get', '/admin/audit'],
      ['post', `/admin/users/${randomUUID()}/mfa/reset`],
      ['get', '/auth/sessions'],
      ['get', '/auth/devices'],
      ['post', '/auth/change-password'],
      ['post', '/auth/mfa/totp/disable'],
    ] as const) {
      const response = await t.http[method](path).set(bearer(accessToken)).send({});
      expect(response.status, path).toBe(403);
      expect(response.body.type, path).toBe(problem('mfa-enrolment-required'));
    }
    // A claim of another value (false, "no") must not read as "not limited": refused outright.
    for (const value of [false, 'no', 0]) {
      const forged = hs256(
        { alg: 'HS256', typ: 'JWT' },
        { ...claims, jti: randomUUID(), mfa_enrolment_required: value },
      );
      const response = await t.http.get('/auth/sessions').set(bearer(forged));
      expect(response.status, String(value)).toBe(401);
    }
  });

  it('an impersonated session cannot reset a second factor, even its user holding users:reset-mfa', async () => {
    const { signUpOperator } = await import('../factories/admin.factory.js');
    const [operator, holder, victim] = await Promise.all([
      signUpOperator(t.http, t.dataSource, ['users:impersonate', 'users:reset-mfa', 'users:read']),
      signUpOperator(t.http, t.dataSource, ['users:reset-mfa']),
      signUpAndLogIn(t.http),
    ]);
    await t.dataSource.query(
      `INSERT INTO mfa_recovery_codes (code_hash, user_id) VALUES ($1, $2)`,
      [randomBytes(32).toString('hex'), victim.id],
    );
    const opened = await t.http
      .post(`/admin/users/${holder.id}/impersonate`)
      .set(bearer(operator.accessToken))
      .send({ reason: 'battery' });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const response = await t.http
      .post(`/admin/users/${victim.id}/mfa/reset`)
      .set(bearer(opened.body.access_token as string))
      .send({ reason: 'battery' });
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(problem('impersonation-forbidden'));
    const [{ count }] = await t.dataSource.query<[{ count: string }]>(
      'SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1',
      [victim.id],
    );
    expect(count).toBe('1');
  });

  it('support does not hold users:reset-mfa', async () => {
    const { BUILT_IN_ROLE_PERMISSIONS } = await import('../../src/authorization/permissions.js');
    expect(BUILT_IN_ROLE_PERMISSIONS.support).not.toContain('users:reset-mfa');
    const supporter = await signUp(t.http);
    await setRoles(supporter.id, ['support']);
    const { accessToken } = await logIn(t.http, supporter);
    const response = await t.http
      .post(`/admin/users/${randomUUID()}/mfa/reset`)
      .set(bearer(accessToken))
      .send({ reason: 'battery' });
    expect(response.status).toBe(403);
    expect(response.body.detail).toContain('`users:reset-mfa`');
  });
});

describe('security battery: social login review (issue #21)', () => {
  const SERVICE = 'http://auth.localhost';
  const APP = 'https://app.example/oauth/done';
  const MOBILE = 'com.whazz.app:/oauth';
  const LOOPBACK = 'http://127.0.0.1:7000/done';
  const problem = (code: string) => `https://whazz.audio/problems/${code}`;
  const env = (forger: ForgingOidcServer) => ({
    OAUTH_PROVIDERS: 'forge',
    OAUTH_FORGE_ISSUER: forger.issuer,
    OAUTH_FORGE_CLIENT_ID: forger.clientId,
    OAUTH_FORGE_CLIENT_SECRET: forger.clientSecret,
    OAUTH_REDIRECT_URIS: `${APP},${MOBILE},${LOOPBACK}`,
    OAUTH_CALLBACK_BASE_URL: SERVICE,
  });
  let t: TestApp;
  /** Another instance, which has not met the provider yet; made first (Passport strategies are global, the last app made owns them). */
  let second: TestApp;
  let forger: ForgingOidcServer;
  let operator: Awaited<ReturnType<typeof signUpAndLogIn>>;

  beforeAll(async () => {
    forger = await startForgingOidcServer();
    second = await createTestApp(env(forger));
    t = await createTestApp(env(forger));
    const signedUp = await signUp(t.http);
    await t.dataSource.query(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, 'users:impersonate' FROM role)
       INSERT INTO user_roles (user_id, role_id) SELECT $2, id FROM role`,
      [`battery-fed-${randomUUID().slice(0, 8)}`, signedUp.id],
    );
    operator = { ...signedUp, ...(await logIn(t.http, signedUp)) };
  });
  afterAll(async () => {
    await t?.close();
    await second?.close();
    await forger?.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  /** A provider sign-in through the callback, answering with `claims`: the app's query. */
  async function callbackWith(
    claims: (nonce: string) => Record<string, unknown>,
    query: Record<string, string> = { redirect_uri: APP },
    app = t,
  ) {
    const started = await t.http.get('/auth/oauth/forge/authorize').query(query);
    expect(started.status, JSON.stringify(started.body)).toBe(302);
    const params = new URL(started.headers.location as string).searchParams;
    forger.forge({ claims: claims(params.get('nonce')!) });
    const back = await app.http
      .get('/auth/oauth/forge/callback')
      .query({ code: 'provider-code', state: params.get('state')! });
    expect(back.status, back.text).toBe(302);
    return Object.fromEntries(new URL(back.headers.location as string).searchParams);
  }
  const codeFor = async (claims: (nonce: string) => Record<string, unknown>) =>
    (await callbackWith(claims)).code!;
  const exchange = (code: string, extra: object = {}) =>
    t.http.post('/auth/oauth/token').send({ code, ...extra });

  it('treats a provider address no account could hold as absent, never a 500 at the callback', async () => {
    for (const email of [`${'a'.repeat(250)}@example.com`, 'a"b@example.com']) {
      const code = await codeFor((nonce) => ({ ...forger.honestClaims(nonce), email }));
      const response = await exchange(code);
      expect(response.status, email).toBe(403);
      expect(response.body.type).toBe(problem('provider-email-not-verified'));
    }
  });

  it('does not link by an address that only folds to the account’s (the Kelvin sign)', async () => {
    const tag = randomBytes(4).toString('hex');
    const local = await signUp(t.http, { email: `k${tag}@example.com` });
    await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [local.id]);
    const code = await codeFor((nonce) => ({
      ...forger.honestClaims(nonce),
      email: `\u212A${tag}@example.com`,
    }));
    const response = await exchange(code);
    expect(response.status).toBe(409);
    expect(response.body.type).toBe(problem('identity-link-required'));
    const linked = await t.dataSource.query('SELECT 1 FROM identities WHERE user_id = $1', [
      local.id,
    ]);
    expect(linked).toHaveLength(0);
  });

  it('adds no identity to a disabled account by its address', async () => {
    const local = await signUp(t.http);
    await t.dataSource.query(
      'UPDATE users SET email_verified = true, is_active = false WHERE id = $1',
      [local.id],
    );
    const code = await codeFor((nonce) => ({ ...forger.honestClaims(nonce), email: local.email }));
    const response = await exchange(code);
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(problem('account-disabled'));
    const linked = await t.dataSource.query('SELECT 1 FROM identities WHERE user_id = $1', [
      local.id,
    ]);
    expect(linked).toHaveLength(0);
  });

  it('needs the app’s PKCE for a custom scheme or loopback http, and its verifier at the exchange (RFC 8252 §8.1)', async () => {
    for (const uri of [MOBILE, LOOPBACK]) {
      const response = await t.http.get('/auth/oauth/forge/authorize').query({ redirect_uri: uri });
      expect(response.status, uri).toBe(400);
      expect(response.body.type).toBe(problem('code-challenge-required'));
    }
    const { verifier, challenge } = pkce();
    const withPkce = {
      redirect_uri: MOBILE,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const caught = (await callbackWith((n) => forger.honestClaims(n), withPkce)).code!;
    // Another app that caught the redirect has the code but not the verifier: the code dies.
    expect((await exchange(caught)).body.type).toBe(problem('invalid-login-code'));
    expect((await exchange(caught, { code_verifier: verifier })).status).toBe(400);
    const wrong = (await callbackWith((n) => forger.honestClaims(n), withPkce)).code!;
    const other = pkce().verifier;
    expect((await exchange(wrong, { code_verifier: other })).status).toBe(400);
    const right = (await callbackWith((n) => forger.honestClaims(n), withPkce)).code!;
    expect((await exchange(right, { code_verifier: verifier })).status).toBe(200);
    // A verifier for a code that came without a challenge is refused too (no downgrade).
    const plain = await codeFor((n) => forger.honestClaims(n));
    expect((await exchange(plain, { code_verifier: verifier })).status).toBe(400);
  });

  it('four parallel exchanges of one login code give exactly one 200', async () => {
    const code = await codeFor((nonce) => forger.honestClaims(nonce));
    const answers = await Promise.all(Array.from({ length: 4 }, () => exchange(code)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400, 400, 400]);
  });

  it('four exchanges at once for the same new identity all sign in to one account', async () => {
    const sub = `race-${randomBytes(6).toString('hex')}`;
    const codes: string[] = [];
    for (let i = 0; i < 4; i += 1) codes.push(await codeFor((n) => forger.honestClaims(n, sub)));
    const answers = await Promise.all(codes.map((code) => exchange(code)));
    expect(
      answers.map((answer) => answer.status),
      JSON.stringify(answers.map((a) => a.body as unknown)),
    ).toEqual([200, 200, 200, 200]);
    const users = await t.dataSource.query<{ user_id: string }[]>(
      'SELECT user_id FROM identities WHERE subject = $1',
      [sub],
    );
    expect(users).toHaveLength(1);
    const ids = answers.map((answer) => claimsOf(answer.body.access_token as string).sub);
    expect(new Set(ids)).toEqual(new Set([users[0]!.user_id]));
  });

  it('four new people with the same provider username at once all get an account', async () => {
    const name = `racer_${randomBytes(3).toString('hex')}`;
    const codes: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      codes.push(await codeFor((n) => ({ ...forger.honestClaims(n), preferred_username: name })));
    }
    const answers = await Promise.all(codes.map((code) => exchange(code)));
    expect(
      answers.map((answer) => answer.status),
      JSON.stringify(answers.map((a) => a.body as unknown)),
    ).toEqual([200, 200, 200, 200]);
  });

  it('reads the whole callback query, even a value holding a second "?"', async () => {
    const started = await t.http.get('/auth/oauth/forge/authorize').query({ redirect_uri: APP });
    const params = new URL(started.headers.location as string).searchParams;
    forger.forge({ claims: forger.honestClaims(params.get('nonce')!) });
    const back = await t.http.get(
      `/auth/oauth/forge/callback?code=abc?def&state=${params.get('state')!}`,
    );
    expect(back.status, back.text).toBe(302);
    expect(new URL(back.headers.location as string).searchParams.get('code')).toBeTruthy();
  });

  it('tells the app when discovery fails at the callback, after the state is spent', async () => {
    // Another instance, which has not met the provider yet, gets the callback while it is down.
    forger.failDiscovery(true);
    try {
      const answer = await callbackWith((nonce) => forger.honestClaims(nonce), undefined, second);
      expect(answer).toEqual({ error: 'temporarily_unavailable' });
    } finally {
      forger.failDiscovery(false);
    }
  });

  it('an impersonated session cannot link, complete a link or unlink a provider', async () => {
    const tokens = await exchange(await codeFor((nonce) => forger.honestClaims(nonce)));
    const userId = String(claimsOf(tokens.body.access_token as string).sub);
    const [identity] = (
      await t.http.get('/auth/identities').set(bearer(tokens.body.access_token as string))
    ).body as { id: string }[];
    const opened = await t.http
      .post(`/admin/users/${userId}/impersonate`)
      .set(bearer(operator.accessToken))
      .send({ reason: 'battery' });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const token = opened.body.access_token as string;
    for (const request of [
      t.http.post('/auth/oauth/forge/link').set(bearer(token)).send({ redirect_uri: APP }),
      t.http
        .post('/auth/oauth/link/complete')
        .set(bearer(token))
        .send({ code: randomBytes(32).toString('base64url') }),
      t.http.delete(`/auth/identities/${identity!.id}`).set(bearer(token)),
    ]) {
      const response = await request;
      expect(response.status).toBe(403);
      expect(response.body.type).toBe(problem('impersonation-forbidden'));
    }
  });

  it('a password-only session of an account with a second factor cannot link or unlink', async () => {
    const user = await signUpAndLogIn(t.http);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(user.accessToken))
      .send({ password: user.password });
    await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: await previousStepCode(setup.body.secret as string) });
    const link = await t.http
      .post('/auth/oauth/forge/link')
      .set(bearer(user.accessToken))
      .send({ redirect_uri: APP, current_password: user.password });
    expect(link.body.type).toBe(problem('step-up-required'));
    const unlink = await t.http
      .delete(`/auth/identities/${randomUUID()}`)
      .set(bearer(user.accessToken));
    expect(unlink.body.type).toBe(problem('step-up-required'));
  });
});

describe('issue #20 review: a second factor cannot be turned against its owner (ASVS V2.2.1, V2.8)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const problem = (code: string) => `https://whazz.audio/problems/${code}`;
  const login = (usernameOrEmail: string, password: string) =>
    t.http
      .post('/auth/login')
      .set('User-Agent', 'vitest')
      .send({ username_or_email: usernameOrEmail, password });

  async function withPendingSetup() {
    const user = await signUpAndLogIn(t.http);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(user.accessToken))
      .send({ password: user.password });
    expect(setup.status).toBe(200);
    return { ...user, secret: setup.body.secret as string };
  }
  const confirm = (accessToken: string, code: string) =>
    t.http.post('/auth/mfa/totp/confirm').set(bearer(accessToken)).send({ code });

  it('strangers spending the name’s backoff do not hold the owner’s second step', async () => {
    const user = await withPendingSetup();
    expect((await confirm(user.accessToken, await previousStepCode(user.secret))).status).toBe(200);
    const step = await login(user.username, user.password);
    expect(step.body.type).toBe(problem('mfa-required'));
    for (let n = 0; n < 6; n += 1) await login(user.username, `stranger guess ${n}`);
    expect((await login(user.username, user.password)).body.type).toBe(problem('login-backoff'));

    const done = await t.http
      .post('/auth/mfa/verify')
      .set('User-Agent', 'vitest')
      .send({ mfa_token: step.body.mfa_token, code: totpStepsAway(user.secret, 0) });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const stepUp = await t.http
      .post('/auth/change-email')
      .set(bearer(user.accessToken))
      .set('X-MFA-Code', totpStepsAway(user.secret, 1))
      .send({ new_email: `new.${user.email}`, password: user.password });
    expect(stepUp.status, JSON.stringify(stepUp.body)).toBe(202);
  });

  it('a stolen access token cannot guess a pending setup’s secret', async () => {
    const user = await withPendingSetup();
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, n) => confirm(user.accessToken, String(100000 + n))),
    );
    expect(guesses.every((g) => [403, 429].includes(g.status))).toBe(true);
    expect(guesses.filter((g) => g.status === 403).length).toBeLessThanOrEqual(5);
    const right = await confirm(user.accessToken, totpStepsAway(user.secret, 0));
    expect(right.status).toBe(429);
    expect(JSON.stringify(right.body)).not.toContain('recovery_codes');
  });

  it('two confirms at once issue one set of recovery codes', async () => {
    const user = await withPendingSetup();
    const code = totpStepsAway(user.secret, 0);
    const [a, b] = await Promise.all([
      confirm(user.accessToken, code),
      confirm(user.accessToken, code),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const [{ count }] = await t.dataSource.query<[{ count: number }]>(
      'SELECT count(*)::int AS count FROM mfa_recovery_codes WHERE user_id = $1',
      [user.id],
    );
    expect(count).toBe(10);
  });
});

describe('issue #22: asymmetric signing keys cannot be turned against the service (RFC 8725 §2.1, §3.1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const b64 = (value: object | Buffer) =>
    (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
  const me = (token: string) => t.http.get('/auth/me').set('Authorization', `Bearer ${token}`);
  const hmac = (header: object, claims: object, secret: Buffer | string) => {
    const unsigned = `${b64(header)}.${b64(claims)}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  };
  /** The service's own signing key, as its JWKS publishes it. */
  const publishedKey = async () => {
    const { keys } = (await t.http.get('/.well-known/jwks.json')).body as {
      keys: { kid: string; x: string }[];
    };
    const { kid } = await t.app.get(SigningKeysService).signingKey();
    return keys.find((key) => key.kid === kid)!;
  };

  it('refuses HS256 tokens keyed with the public key: raw bytes, JWK text or PEM, kid or not', async () => {
    const u = await signUpAndLogIn(t.http);
    const claims = { ...claimsOf(u.accessToken), jti: randomUUID() };
    const jwk = await publishedKey();
    const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })
      .export({ format: 'pem', type: 'spki' })
      .toString();
    for (const secret of [Buffer.from(jwk.x, 'base64url'), JSON.stringify(jwk), jwk.x, pem]) {
      for (const header of [{ alg: 'HS256', kid: jwk.kid }, { alg: 'HS256' }]) {
        expect((await me(hmac(header, claims, secret))).status).toBe(401);
      }
    }
    expect((await me(u.accessToken)).status).toBe(200);
  });

  it('refuses alg none, an unknown kid, a key sent in the header, and a kid under another alg', async () => {
    const u = await signUpAndLogIn(t.http);
    const claims = { ...claimsOf(u.accessToken), jti: randomUUID() };
    const { kid } = await publishedKey();
    const attacker = generateKeyPairSync('ed25519');
    const attackerJwk = await exportJWK(attacker.publicKey);
    const attackerKid = await calculateJwkThumbprint(attackerJwk);
    const signedByAttacker = (header: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(attacker.privateKey);
    const forged = [
      `${b64({ alg: 'none', kid })}.${b64(claims)}.`,
      `${b64({ alg: 'none' })}.${b64(claims)}.`,
      await signedByAttacker({ kid: attackerKid }),
      await signedByAttacker({ kid }),
      await signedByAttacker({ kid, jwk: attackerJwk }),
      await signedByAttacker({ jwk: attackerJwk }),
      await signedByAttacker({ kid: attackerKid, jku: 'http://127.0.0.1:1/jwks.json' }),
      // The real key's signature, relabelled.
      `${b64({ alg: 'ES256', kid })}.${u.accessToken.split('.').slice(1).join('.')}`,
      `${b64({ alg: 'EdDSA', kid: 'x'.repeat(64) })}.${u.accessToken.split('.').slice(1).join('.')}`,
      `${b64({ alg: 'EdDSA', kid: "' OR '1'='1" })}.${u.accessToken.split('.').slice(1).join('.')}`,
      `${b64({ alg: 'EdDSA', kid: 42 })}.${u.accessToken.split('.').slice(1).join('.')}`,
    ];
    for (const token of forged) {
      const response = await me(token);
      expect(response.status, token.split('.')[0]).toBe(401);
      expect(response.body.type).toBe('https://whazz.audio/problems/invalid-token');
    }
  });

  it('checks issuer, audience and dates on key-signed tokens as on any other', async () => {
    const u = await signUpAndLogIn(t.http);
    const { kid, algorithm, privateKey } = await t.app.get(SigningKeysService).signingKey();
    const claims = { ...claimsOf(u.accessToken), jti: randomUUID() };
    const signed = (change: object) =>
      new SignJWT({ ...claims, ...change })
        .setProtectedHeader({ alg: algorithm, kid })
        .sign(privateKey);
    expect((await me(await signed({}))).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    for (const change of [
      { iss: 'someone-else' },
      { aud: 'another-api' },
      { iat: now - 3600, exp: now - 60 },
      { nbf: now + 3600 },
      { exp: undefined },
    ]) {
      expect((await me(await signed(change))).status, JSON.stringify(change)).toBe(401);
    }
  });

  it('publishes no private member, and keeps the private key out of every default read', async () => {
    const jwks = await t.http.get('/.well-known/jwks.json');
    const keys = (jwks.body as { keys: Record<string, unknown>[] }).keys;
    for (const key of keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
        expect(key).not.toHaveProperty(member);
    }
    const { SigningKey } =
      await import('../../src/tokens/signing-keys/entities/signing-key.entity.js');
    const [row] = await t.dataSource.getRepository(SigningKey).find({ take: 1 });
    expect(row).toBeDefined();
    expect(row!.privateKeyCiphertext).toBeUndefined();
    expect(t.logs.join('\n')).not.toMatch(/PRIVATE KEY/);
  });
});

describe('issue #22: webhooks cannot be aimed inside the network or leak their secrets', () => {
  let t: TestApp;
  let operator: Awaited<ReturnType<typeof signUpAndLogIn>>;
  const created: string[] = [];
  beforeAll(async () => {
    // As in production: private, loopback and link-local destinations refused.
    t = await createTestApp({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' });
    const signedUp = await signUp(t.http);
    await t.dataSource.query(
      `WITH role AS (INSERT INTO roles (name) VALUES ($1) RETURNING id),
            granted AS (INSERT INTO role_permissions (role_id, permission)
                        SELECT id, unnest(ARRAY['webhooks:read', 'webhooks:write']) FROM role)
       INSERT INTO user_roles (user_id, role_id) SELECT $2, id FROM role`,
      [`battery-webhooks-${randomUUID().slice(0, 8)}`, signedUp.id],
    );
    operator = { ...signedUp, ...(await logIn(t.http, signedUp)) };
  });
  afterAll(async () => {
    // The database is shared: these endpoints must not collect other suites' events.
    await t.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = ANY($1)`, [
      created,
    ]);
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it.each([
    'http://10.0.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://127.0.0.1:8080/hook',
    'http://[::1]/hook',
    'http://[::ffff:192.168.0.1]/hook',
    'http://localhost/hook',
    'http://0.0.0.0/hook',
  ])('refuses the destination %s (422), with no secret issued', async (url) => {
    const response = await t.http
      .post('/admin/webhooks')
      .set(bearer(operator.accessToken))
      .send({ url });
    expect(response.status).toBe(422);
    expect(response.body.type).toBe('https://whazz.audio/problems/webhook-destination-refused');
    expect(response.text).not.toContain('whsec_');
  });

  it.each([
    'ftp://example.com/hook',
    'https://user:pass@example.com/hook',
    'not a url',
    'javascript:alert(1)',
  ])('refuses the URL %s (422)', async (url) => {
    const response = await t.http
      .post('/admin/webhooks')
      .set(bearer(operator.accessToken))
      .send({ url });
    expect(response.status).toBe(422);
  });

  it('answers the secret once: never in the list, the endpoint, the audit log or a log line', async () => {
    const response = await t.http
      .post('/admin/webhooks')
      .set(bearer(operator.accessToken))
      .send({ url: 'https://93.184.216.34/hook', events: ['user.deleted'] });
    expect(response.status, response.text).toBe(201);
    created.push(response.body.id as string);
    const secret = response.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    const rotated = await t.http
      .post(`/admin/webhooks/${response.body.id as string}/rotate-secret`)
      .set(bearer(operator.accessToken));
    const listed = await t.http.get('/admin/webhooks').set(bearer(operator.accessToken));
    const one = await t.http
      .get(`/admin/webhooks/${response.body.id as string}`)
      .set(bearer(operator.accessToken));
    const audit = await t.http
      .get(`/admin/audit?action=webhook.secret_rotated`)
      .set(bearer(operator.accessToken));
    const [stored] = await t.dataSource.query<[{ before: unknown; after: unknown }]>(
      `SELECT json_agg(before) AS before, json_agg(after) AS after FROM audit_entries WHERE target_id = $1`,
      [response.body.id],
    );
    for (const text of [
      listed.text,
      one.text,
      audit.text,
      JSON.stringify(stored),
      t.logs.join('\n'),
    ]) {
      expect(text).not.toContain(secret.slice(6));
      expect(text).not.toContain((rotated.body.secret as string).slice(6));
    }
  });

  it('a user without webhooks permissions can neither list endpoints nor send a test event', async () => {
    const user = await signUpAndLogIn(t.http);
    expect((await t.http.get('/admin/webhooks').set(bearer(user.accessToken))).status).toBe(403);
    const id = randomUUID();
    expect(
      (await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(user.accessToken))).status,
    ).toBe(403);
  });
});

import { signUpOperator } from '../factories/admin.factory.js';
import type { LoggedInUser } from '../factories/user.factory.js';

describe('issue #22 review: delivery ids past bigint are refused, never a database error', () => {
  let t: TestApp;
  let operator: LoggedInUser;
  let endpointId: string;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  beforeAll(async () => {
    t = await createTestApp();
    operator = await signUpOperator(t.http, t.dataSource, ['webhooks:read', 'webhooks:write']);
    const created = await t.http
      .post('/admin/webhooks')
      .set(bearer(operator.accessToken))
      .send({ url: 'https://93.184.216.34/hook', events: ['user.deleted'] });
    endpointId = created.body.id as string;
  });
  afterAll(async () => {
    await t.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [
      endpointId,
    ]);
    await t.close();
  });

  it.each(['9999999999999999999', '9223372036854775808'])(
    'POST …/deliveries/%s/redeliver is a 422, not a 500',
    async (deliveryId) => {
      const response = await t.http
        .post(`/admin/webhooks/${endpointId}/deliveries/${deliveryId}/redeliver`)
        .set(bearer(operator.accessToken));
      expect(response.status, response.text).toBe(422);
    },
  );

  it.each(['9999999999999999999', '9223372036854775808'])(
    'GET …/deliveries?before=%s is a 422, not a 500',
    async (before) => {
      const response = await t.http
        .get(`/admin/webhooks/${endpointId}/deliveries?before=${before}`)
        .set(bearer(operator.accessToken));
      expect(response.status, response.text).toBe(422);
    },
  );
});

describe('issue #22 review: JWT_SECRET mints nothing once keys sign', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const hs256 = (claims: object) => {
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${unsigned}.${createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
  };

  it('refuses an HS256 token backdated before the switch that lives a year, for a real session', async () => {
    const u = await signUpAndLogIn(t.http);
    const now = Math.floor(Date.now() / 1000);
    const issuedBefore = t.app.get(SigningKeysService).hs256IssuedBefore!;
    const iat = Math.min(now, Math.floor(issuedBefore / 1000)) - 3600;
    const claims = { ...claimsOf(u.accessToken), iss: 'whazz-audio-auth', jti: randomUUID(), iat };
    const response = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${hs256({ ...claims, exp: now + 365 * 86_400 })}`);
    expect(response.status).toBe(401);
    expect(response.body.type).toBe('https://whazz.audio/problems/invalid-token');
  });
});

describe('optional fields sent as null are refused, never a 500 (OpenAPI fuzzer, stop 28)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 422 for null where a body field may only be left out', async () => {
    const user = await signUpAndLogIn(t.http);
    const bearer = { Authorization: `Bearer ${user.accessToken}` };
    const cases: [string, Record<string, unknown>, Record<string, string>][] = [
      ['/auth/mfa/totp/setup', { password: null }, bearer],
      [
        '/auth/login',
        { username_or_email: user.username, password: user.password, device_token: null },
        {},
      ],
      ['/auth/oauth/token', { code: 'x'.repeat(43), code_verifier: null }, {}],
    ];
    for (const [path, body, headers] of cases) {
      const response = await t.http.post(path).set(headers).send(body);
      expect(response.status, `${path} ${JSON.stringify(response.body)}`).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });
});

describe('webhook endpoint secrets are sealed at rest (issue #22)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.dataSource.query(
      `UPDATE webhook_endpoints SET enabled = false WHERE url = 'http://127.0.0.1:9/battery'`,
    );
    await t.close();
  });

  it('no column holds the secret shown at creation or rotation, and no answer repeats it', async () => {
    const admin = await signUpOperator(t.http, t.dataSource);
    const bearer = { Authorization: `Bearer ${admin.accessToken}` };
    const created = await t.http
      .post('/admin/webhooks')
      .set(bearer)
      .send({ url: 'http://127.0.0.1:9/battery', events: ['user.deleted'] });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const rotated = await t.http.post(`/admin/webhooks/${id}/rotate-secret`).set(bearer);
    expect(rotated.status).toBe(200);
    const shown = [created.body.secret as string, rotated.body.secret as string];
    const [row] = await t.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM webhook_endpoints WHERE id = $1`,
      [id],
    );
    const answers = [
      await t.http.get(`/admin/webhooks/${id}`).set(bearer),
      await t.http.get('/admin/webhooks').set(bearer),
    ];
    for (const secret of shown) {
      const material = secret.slice('whsec_'.length);
      expect(JSON.stringify(row)).not.toContain(material);
      expect(JSON.stringify(row).includes(Buffer.from(material, 'base64').toString('hex'))).toBe(
        false,
      );
      for (const answer of answers) expect(answer.text).not.toContain(material);
      expect(t.logs.join('\n')).not.toContain(material);
    }
  });
});

import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from '../factories/private-database.js';

describe('security battery: the published development key seals no webhook secret beside a real key (issue #22 review)', () => {
  let database: PrivateDatabase;
  let t: TestApp | undefined;
  beforeAll(async () => {
    database = await privateDatabase();
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('an instance without SIGNING_KEY_ENCRYPTION_KEY neither creates nor reseals onto the development key', async () => {
    const realKey = randomBytes(32).toString('base64');
    t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_ENCRYPTION_KEY: realKey,
    });
    const admin = await signUpOperator(t.http, t.dataSource);
    const created = await t.http
      .post('/admin/webhooks')
      .set({ Authorization: `Bearer ${admin.accessToken}` })
      .send({ url: 'http://127.0.0.1:9/battery-development-key' });
    expect(created.status, created.text).toBe(201);
    const sealed = async () =>
      t!.dataSource.query<{ secret: string; secret_key_id: string }[]>(
        `SELECT secret, secret_key_id FROM webhook_endpoints ORDER BY id`,
      );
    const before = await sealed();
    await t.close();
    // The real key only as a previous one: before the fix, the start moved secrets onto the
    // published key, and a creation sealed beside them under it.
    t = await createTestApp({
      ...onPrivateDatabase(database),
      SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS: realKey,
    });
    expect(await sealed()).toEqual(before);
    const again = await logIn(t.http, admin);
    const refused = await t.http
      .post('/admin/webhooks')
      .set({ Authorization: `Bearer ${again.accessToken}` })
      .send({ url: 'http://127.0.0.1:9/battery-development-key-2' });
    expect(refused.status, refused.text).toBe(503);
    expect(await sealed()).toEqual(before);
  });
});

describe('issue #23: the refresh reuse grace forgives a lost answer, never a thief', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const refresh = (refreshToken: string) =>
    t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
  const me = (accessToken: string) =>
    t.http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`);

  it('a replay after the successor was used revokes the session, even within the grace', async () => {
    const u = await signUpAndLogIn(t.http);
    const rotated = await refresh(u.refreshToken);
    const owner = await refresh(rotated.body.refresh_token as string);
    expect(owner.status).toBe(200);

    const thief = await refresh(u.refreshToken);
    expect(thief.status).toBe(401);
    expect(thief.body.type).toBe('https://whazz.audio/problems/refresh-token-reused');
    expect((await me(owner.body.access_token as string)).status).toBe(401);
    expect((await refresh(owner.body.refresh_token as string)).status).toBe(401);
    // The used successor itself, presented again: also reuse, not a second grace.
    expect((await refresh(rotated.body.refresh_token as string)).status).toBe(401);
  });

  it('never leaves two live tokens: replays share the one successor, an older token once it is used revokes', async () => {
    const u = await signUpAndLogIn(t.http);
    const [owner, thief] = await Promise.all([refresh(u.refreshToken), refresh(u.refreshToken)]);
    expect(owner.body.refresh_token).toBe(thief.body.refresh_token);

    const first = await refresh(owner.body.refresh_token as string);
    expect(first.status).toBe(200);
    const second = await refresh(thief.body.refresh_token as string);
    // Within the grace of its own rotation, the same successor again; once that is used, reuse.
    expect(second.body.refresh_token).toBe(first.body.refresh_token);
    expect((await refresh(second.body.refresh_token as string)).status).toBe(200);
    const late = await refresh(thief.body.refresh_token as string);
    expect(late.status).toBe(401);
    expect(late.body.type).toBe('https://whazz.audio/problems/refresh-token-reused');
    expect((await me(first.body.access_token as string)).status).toBe(401);
  });
});

describe('security battery: an imported signing key never leaves (issue #22, keys from files)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await privateDatabase();
    t = await createTestApp(onPrivateDatabase(database));
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  it('POST /admin/keys/import answers and logs no private key, accepted or refused', async () => {
    const admin = await signUpOperator(t.http, t.dataSource, ['keys:write']);
    const post = (privateKey: unknown) =>
      t.http
        .post('/admin/keys/import')
        .set({ Authorization: `Bearer ${admin.accessToken}` })
        .send({ private_key: privateKey });
    const ed = generateKeyPairSync('ed25519').privateKey;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const pemOf = (key: typeof ed) => key.export({ format: 'pem', type: 'pkcs8' }) as string;
    const edJwk = await exportJWK(ed);
    const inputs = [
      pemOf(ed),
      pemOf(ed),
      pemOf(p256),
      pemOf(rsa),
      JSON.stringify(await exportJWK(p256)),
      JSON.stringify({ ...edJwk, x: 'broken' }),
      `${JSON.stringify(edJwk)} trailing`,
      pemOf(ed).replace('PRIVATE KEY', 'PRIVATE  KEY'),
    ];
    const answers = [];
    for (const input of inputs) answers.push(await post(input));
    expect(answers.map((answer) => answer.status)).toEqual([
      201, 409, 422, 422, 422, 422, 422, 422,
    ]);
    // The body of each PEM and each private member, in any answer or log line.
    const material = inputs.flatMap((input) =>
      input.startsWith('{')
        ? [(JSON.parse(input.replace(/ trailing$/, '')) as { d: string }).d]
        : input.split('\n').filter((line) => line.length > 40),
    );
    expect(material.length).toBeGreaterThan(8);
    const logs = t.logs.join('\n');
    for (const secret of material) {
      for (const answer of answers) expect(answer.text).not.toContain(secret.slice(0, 24));
      expect(logs).not.toContain(secret.slice(0, 24));
    }
  });
});
