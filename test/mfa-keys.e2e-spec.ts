import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from './create-test-app.js';
import {
  privateDatabase,
  onPrivateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { logIn, signUp } from './factories/user.factory.js';
import { totpStepsAway } from './totp-reference.js';

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
        .send({ code: totpStepsAway(secret, -1) });
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
        SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      }),
    ).rejects.toThrow(/MFA_ENCRYPTION_KEY must be set/);
  });

  it('refuses to start when the key that sealed a secret is gone', async () => {
    await expect(
      createTestApp({ ...onPrivateDatabase(database), MFA_ENCRYPTION_KEY: secondKey }),
    ).rejects.toThrow(/neither MFA_ENCRYPTION_KEY nor in MFA_PREVIOUS_ENCRYPTION_KEYS/);
  });

  it('rotates: with the old key as previous, re-encrypts at start and logins go on', async () => {
    const app = await createTestApp({
      ...onPrivateDatabase(database),
      MFA_ENCRYPTION_KEY: secondKey,
      MFA_PREVIOUS_ENCRYPTION_KEYS: firstKey,
    });
    try {
      const keyIds = await app.dataSource.query<{ secret_key_id: string }[]>(
        'SELECT DISTINCT secret_key_id FROM mfa_factors',
      );
      expect(keyIds).toEqual([{ secret_key_id: app.configuration.mfa.currentKey!.id }]);
      const step = await app.http
        .post('/auth/login')
        .send({ username_or_email: user.username, password: user.password });
      const done = await app.http
        .post('/auth/mfa/verify')
        .send({ mfa_token: step.body.mfa_token, code: totpStepsAway(user.secret, 0) });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
    } finally {
      await app.close();
    }
    // The old key can now go.
    const again = await createTestApp({
      ...onPrivateDatabase(database),
      MFA_ENCRYPTION_KEY: secondKey,
    });
    await again.close();
  });
});
