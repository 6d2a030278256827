import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '../src/platform/crypto/encryption-keys.js';
import { runMfaCli } from '../src/mfa/mfa-cli.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { ensureBuilt } from './faults/service-process.js';
import {
  privateDatabase,
  onPrivateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { logIn, signUp } from './factories/user.factory.js';
import { totpStepsAway, previousStepCode } from './totp-reference.js';

/**
 * The TOTP encryption key at start-up (issue #20), on a database of the suite's own: what
 * one instance does to every secret must not reach the other suites' apps.
 */
describe('MFA_ENCRYPTION_KEY at start-up', () => {
  let database: PrivateDatabase;
  const firstKey = randomBytes(32).toString('base64');
  const secondKey = randomBytes(32).toString('base64');
  let user: Awaited<ReturnType<typeof signUp>> & { secret: string };
  beforeAll(async () => {
    database = await privateDatabase();
    const app = await createTestApp({
      ...onPrivateDatabase(database),
      MFA_ENCRYPTION_KEY: firstKey,
    });
    try {
      const signedUp = await signUp(app.http);
      const { accessToken } = await logIn(app.http, signedUp);
      const auth = { Authorization: `Bearer ${accessToken}` };
      const setup = await app.http
        .post('/auth/mfa/totp/setup')
        .set(auth)
        .send({ password: signedUp.password });
      const secret = setup.body.secret as string;
      const confirmed = await app.http
        .post('/auth/mfa/totp/confirm')
        .set(auth)
        .send({ code: await previousStepCode(secret) });
      expect(confirmed.status).toBe(200);
      user = { ...signedUp, secret };
    } finally {
      await app.close();
    }
  });
  afterAll(() => database.drop());

  it('production refuses to start without a key once a user has a second factor', async () => {
    await expect(
      createTestApp({
        ...onPrivateDatabase(database),
        NODE_ENV: 'production',
        JWT_SECRET: 'k'.repeat(40),
        SMTP_URL: 'smtp://127.0.0.1:9',
        APP_PUBLIC_URL: 'https://app.example.com',
        BCRYPT_COST: '10',
        // HS256: the signing keys' own refusals (issue #22; the database's keys were sealed
        // with the development key) are not what this test is about.
        JWT_SIGNING_ALGORITHM: 'HS256',
      }),
    ).rejects.toThrow(/MFA_ENCRYPTION_KEY: must be set/);
  });

  it('the built service prints that refusal as configuration problems are printed: one line, exit 1, no stack', async () => {
    ensureBuilt();
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: new URL('../', import.meta.url).pathname,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        JWT_SECRET: 'k'.repeat(40),
        SMTP_URL: 'smtp://127.0.0.1:9',
        APP_PUBLIC_URL: 'https://app.example.com',
        // HS256: the signing keys' own refusals (issue #22; the database's keys were sealed
        // with the development key) are not what this test is about.
        JWT_SIGNING_ALGORITHM: 'HS256',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'warn',
        ...onPrivateDatabase(database),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr + stdout).toBe(1);
    expect(stderr).toBe(
      'Refusing to start:\n' +
        '  - MFA_ENCRYPTION_KEY: must be set: users have two-step verification, and their TOTP secrets cannot be read without it\n' +
        'See docs/configuration.md.\n',
    );
    expect(stdout).not.toMatch(/\bat \S+ \(|Error:/);
  }, 240_000);

  it('refuses to start when the key that sealed a secret is gone', async () => {
    await expect(
      createTestApp({ ...onPrivateDatabase(database), MFA_ENCRYPTION_KEY: secondKey }),
    ).rejects.toThrow(/neither MFA_ENCRYPTION_KEY nor in MFA_PREVIOUS_ENCRYPTION_KEYS/);
  });

  it('rotates in two phases across a rolling deploy: nothing re-sealed at start, no 500 anywhere', async () => {
    const shared = { ...onPrivateDatabase(database), LOGIN_BACKOFF_AFTER_FAILURES: '0' };
    const keyIds = async () =>
      (
        await phaseTwo.dataSource.query<{ secret_key_id: string }[]>(
          'SELECT DISTINCT secret_key_id FROM mfa_factors ORDER BY 1',
        )
      ).map((row) => row.secret_key_id);
    const [first, second] = [firstKey, secondKey].map((k) => keyIdOf(Buffer.from(k, 'base64')));
    // An instance not yet given the new key, one of phase 1 (new key readable), one of phase 2.
    const stale = await createTestApp({ ...shared, MFA_ENCRYPTION_KEY: firstKey });
    const phaseOne = await createTestApp({
      ...shared,
      MFA_ENCRYPTION_KEY: firstKey,
      MFA_PREVIOUS_ENCRYPTION_KEYS: secondKey,
    });
    const phaseTwo = await createTestApp({
      ...shared,
      MFA_ENCRYPTION_KEY: secondKey,
      MFA_PREVIOUS_ENCRYPTION_KEYS: firstKey,
    });
    try {
      expect(await keyIds()).toEqual([first]);
      const later = await enrol(phaseTwo);
      expect((await keyIds()).sort()).toEqual([first, second].sort());

      /** A wrong code is answered 401 only once the secret was opened to compare it. */
      const readsSecret = async (app: TestApp, who: { username: string; password: string }) => {
        const step = await app.http
          .post('/auth/login')
          .send({ username_or_email: who.username, password: who.password });
        expect(step.status).toBe(403);
        return app.http
          .post('/auth/mfa/verify')
          .send({ mfa_token: step.body.mfa_token, code: '000000' });
      };
      for (const app of [phaseOne, phaseTwo]) {
        for (const who of [user, later]) {
          const answer = await readsSecret(app, who);
          expect(answer.status, JSON.stringify(answer.body)).toBe(401);
          expect(answer.body.type).toMatch(/invalid-mfa-code$/);
        }
      }
      // Out of order (a key skipped phase 1): 503 for what it cannot read, never a 500.
      const unreadable = await readsSecret(stale, later);
      expect(unreadable.status).toBe(503);
      expect(unreadable.body.type).toMatch(/mfa-unavailable$/);

      // Once every instance has the new key, the explicit re-seal moves every secret onto it.
      const resealed = await runMfaCli(['reseal'], phaseTwo.configuration);
      expect(resealed).toEqual({ exitCode: 0, output: expect.stringMatching(/^1 TOTP secret/) });
      expect(await keyIds()).toEqual([second]);
      const done = await phaseOne.http.post('/auth/mfa/verify').send({
        mfa_token: (
          await phaseOne.http
            .post('/auth/login')
            .send({ username_or_email: user.username, password: user.password })
        ).body.mfa_token,
        code: totpStepsAway(user.secret, 0),
      });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
    } finally {
      await Promise.all([stale.close(), phaseOne.close(), phaseTwo.close()]);
    }
    // The old key can now go.
    const again = await createTestApp({
      ...onPrivateDatabase(database),
      MFA_ENCRYPTION_KEY: secondKey,
    });
    await again.close();
    expect((await runMfaCli(['rotate'], again.configuration)).exitCode).toBe(2);
  });

  /** Signs up on `app` and turns TOTP on there. */
  async function enrol(app: TestApp) {
    const signedUp = await signUp(app.http);
    const { accessToken } = await logIn(app.http, signedUp);
    const auth = { Authorization: `Bearer ${accessToken}` };
    const setup = await app.http
      .post('/auth/mfa/totp/setup')
      .set(auth)
      .send({ password: signedUp.password });
    const confirmed = await app.http
      .post('/auth/mfa/totp/confirm')
      .set(auth)
      .send({ code: totpStepsAway(setup.body.secret as string, 0) });
    expect(confirmed.status).toBe(200);
    return signedUp;
  }
});
