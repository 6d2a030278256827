import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { logIn, signUp, type SignedUpUser } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-server.js';
import { referenceTotp, totpStepsAway, previousStepCode } from './totp-reference.js';

const PROBLEM = 'https://whazz.audio/problems/';

describe('two-step verification (issue #20) over real SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  /** Without login backoff, so that an mfa_token's own limit is what refuses. */
  let unlimited: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    // One after the other, `t` last: Passport keeps one strategy per name in the process, so
    // POST /auth/login on either app runs the strategy (and backoff) of the app made last.
    unlimited = await createTestApp({ SMTP_URL: smtp.url, LOGIN_BACKOFF_AFTER_FAILURES: '0' });
    t = await createTestApp({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    // Together, at the end: the other app's logins run the Passport strategy of the last one.
    await Promise.all([t.close(), unlimited.close()]);
    await smtp.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  interface Enrolled extends SignedUpUser {
    secret: string;
    recoveryCodes: string[];
    /** The session that enrolled: signed in with the password only. */
    accessToken: string;
  }

  /** Signs up, logs in and turns TOTP on with the code of the step before now. */
  async function enrolled(): Promise<Enrolled> {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(accessToken))
      .send({ code: await previousStepCode(secret) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return { ...user, secret, recoveryCodes: confirmed.body.recovery_codes, accessToken };
  }

  const passwordStep = (user: SignedUpUser, userAgent = 'vitest') =>
    t.http
      .post('/auth/login')
      .set('User-Agent', userAgent)
      .send({ username_or_email: user.username, password: user.password });

  async function mfaTokenFor(user: SignedUpUser): Promise<string> {
    const response = await passwordStep(user);
    expect(response.status, JSON.stringify(response.body)).toBe(403);
    return response.body.mfa_token as string;
  }

  const verify = (body: Record<string, string | boolean>, userAgent = 'vitest') =>
    t.http.post('/auth/mfa/verify').set('User-Agent', userAgent).send(body);

  const eventsOf = async (userId: string, type: string) =>
    Number(
      (
        await t.dataSource.query<{ count: string }[]>(
          'SELECT count(*) FROM security_events WHERE user_id = $1 AND type = $2',
          [userId, type],
        )
      )[0]!.count,
    );

  it('enrols: setup gives the secret, URI and QR code; nothing is on until confirmed', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const wrongPassword = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: 'not the password' });
    expect(wrongPassword.status).toBe(403);

    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    expect(setup.body.otpauth_uri).toContain('algorithm=SHA1&digits=6&period=30');
    expect(setup.body.qr_code_svg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);

    // Not on yet: the password alone still signs in.
    expect((await passwordStep(user)).status).toBe(200);
    const before = await t.http.get('/auth/mfa').set(bearer(accessToken));
    expect(before.body).toEqual({ enabled: false, methods: [], recovery_codes_remaining: 0 });

    const wrong = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(accessToken))
      .send({ code: String((Number(referenceTotp(secret)) + 1) % 1_000_000).padStart(6, '0') });
    expect(wrong.status).toBe(403);
    expect(wrong.body.type).toBe(`${PROBLEM}wrong-mfa-code`);

    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(accessToken))
      .send({ code: referenceTotp(secret) });
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body.recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    const status = await t.http.get('/auth/mfa').set(bearer(accessToken));
    expect(status.body).toMatchObject({
      enabled: true,
      methods: [{ method: 'totp' }],
      recovery_codes_remaining: 10,
    });
    expect(JSON.stringify(status.body)).not.toContain(secret);

    const again = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe(`${PROBLEM}mfa-already-enabled`);

    await smtp.mailTo(user.email, /Two-step verification is on/);
    expect(await eventsOf(user.id, 'mfa_enabled')).toBe(1);
  });

  it('keeps the secret encrypted and the recovery codes hashed in the database', async () => {
    const user = await enrolled();
    const secretBytes = Buffer.from(
      user.secret
        .split('')
        .map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0'))
        .join('')
        .match(/.{8}/g)!
        .map((b) => parseInt(b, 2)),
    );
    const [factor] = await t.dataSource.query<{ row: string }[]>(
      'SELECT row_to_json(f)::text AS row FROM mfa_factors f WHERE user_id = $1',
      [user.id],
    );
    expect(factor!.row).not.toContain(user.secret);
    expect(factor!.row.toLowerCase()).not.toContain(user.secret.toLowerCase());
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      expect(factor!.row).not.toContain(secretBytes.toString(encoding));
    }
    const codes = await t.dataSource.query<{ row: string }[]>(
      'SELECT row_to_json(c)::text AS row FROM mfa_recovery_codes c WHERE user_id = $1',
      [user.id],
    );
    expect(codes).toHaveLength(10);
    for (const code of user.recoveryCodes) {
      expect(codes.map(({ row }) => row).join()).not.toContain(code.replaceAll('-', ''));
    }
  });

  it('asks for the second step after a right password, and answers the token pair with amr', async () => {
    const user = await enrolled();
    const step = await passwordStep(user);
    expect(step.status).toBe(403);
    expect(step.headers['content-type']).toContain('application/problem+json');
    expect(step.body).toMatchObject({
      type: `${PROBLEM}mfa-required`,
      methods: ['totp', 'recovery_code'],
      expires_in: 300,
    });
    expect(step.body.detail).toContain('POST /auth/mfa/verify');
    expect(step.body.mfa_token).toMatch(/^[\w-]{43}$/);
    expect(step.body).not.toHaveProperty('access_token');

    const done = await verify({
      mfa_token: step.body.mfa_token,
      code: totpStepsAway(user.secret, 0),
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.token_type).toBe('bearer');
    const claims = claimsOf(done.body.access_token);
    expect(claims.amr).toEqual(['pwd', 'otp']);
    expect(Math.abs((claims.auth_time as number) - Date.now() / 1000)).toBeLessThan(10);
    expect(claimsOf(user.accessToken).amr).toEqual(['pwd']);

    // The token is used up, and the refreshed token keeps how the session signed in.
    expect((await verify({ mfa_token: step.body.mfa_token, code: '000000' })).status).toBe(401);
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: done.body.refresh_token });
    expect(claimsOf(refreshed.body.access_token)).toMatchObject({
      amr: ['pwd', 'otp'],
      auth_time: claims.auth_time,
    });
    const sessions = await t.http.get('/auth/sessions').set(bearer(refreshed.body.access_token));
    const amrs = (sessions.body as { amr: string[]; current: boolean }[]).map((s) => s.amr);
    expect(amrs).toContainEqual(['pwd', 'otp']);
    expect(amrs).toContainEqual(['pwd']);
  });

  it('refuses a code accepted once, even on a new login within its window', async () => {
    const user = await enrolled();
    const code = totpStepsAway(user.secret, 0);
    expect((await verify({ mfa_token: await mfaTokenFor(user), code })).status).toBe(200);
    const replay = await verify({ mfa_token: await mfaTokenFor(user), code });
    expect(replay.status).toBe(401);
    expect(replay.body.type).toBe(`${PROBLEM}invalid-mfa-code`);
    // An older code than one accepted is refused as well.
    const older = await verify({
      mfa_token: await mfaTokenFor(user),
      code: await previousStepCode(user.secret),
    });
    expect(older.status).toBe(401);
  });

  it('logs in with a recovery code once; it is then spent, and a notice is mailed', async () => {
    const user = await enrolled();
    const [recoveryCode] = user.recoveryCodes;
    const done = await verify({
      mfa_token: await mfaTokenFor(user),
      recovery_code: recoveryCode!.toUpperCase(),
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(claimsOf(done.body.access_token).amr).toEqual(['pwd', 'otp']);
    const mail = await smtp.mailTo(user.email, /A recovery code was used/);
    expect(mail.text).toContain('9 remain unused');
    expect(mail.text).not.toContain(recoveryCode!);

    const spent = await verify({
      mfa_token: await mfaTokenFor(user),
      recovery_code: recoveryCode!,
    });
    expect(spent.status).toBe(401);
    const status = await t.http.get('/auth/mfa').set(bearer(done.body.access_token));
    expect(status.body.recovery_codes_remaining).toBe(9);
    expect(await eventsOf(user.id, 'recovery_code_used')).toBe(1);
  });

  it('step-up: a password-only session needs a fresh code to change the email, a recent one does not', async () => {
    const user = await enrolled();
    const changeEmail = (accessToken: string, code?: string) => {
      const request = t.http.post('/auth/change-email').set(bearer(accessToken));
      if (code) request.set('X-MFA-Code', code);
      return request.send({ new_email: `new.${user.email}`, password: user.password });
    };
    const refused = await changeEmail(user.accessToken);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(`${PROBLEM}step-up-required`);
    const wrong = await changeEmail(user.accessToken, '000000');
    expect(wrong.status).toBe(403);
    expect(wrong.body.type).toBe(`${PROBLEM}wrong-mfa-code`);
    expect(await eventsOf(user.id, 'mfa_failed')).toBe(1);

    const allowed = await changeEmail(user.accessToken, totpStepsAway(user.secret, 0));
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(202);

    // A login with the second factor a moment ago vouches for it without a code.
    const fresh = await verify({
      mfa_token: await mfaTokenFor(user),
      code: totpStepsAway(user.secret, 1),
    });
    const recent = await t.http
      .post('/auth/change-password')
      .set(bearer(fresh.body.access_token))
      .send({ current_password: user.password, new_password: `${user.password} renewed` });
    expect(recent.status, JSON.stringify(recent.body)).toBe(200);
  });

  it('leaves accounts without a second factor as they were', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    expect(claimsOf(accessToken).amr).toEqual(['pwd']);
    const changed = await t.http
      .post('/auth/change-password')
      .set(bearer(accessToken))
      .send({ current_password: user.password, new_password: `${user.password} renewed` });
    expect(changed.status).toBe(200);
  });

  it('regenerates recovery codes with the password and a code; the old ones stop working', async () => {
    const user = await enrolled();
    const regenerated = await t.http
      .post('/auth/mfa/recovery-codes/regenerate')
      .set(bearer(user.accessToken))
      .send({ password: user.password, code: totpStepsAway(user.secret, 0) });
    expect(regenerated.status, JSON.stringify(regenerated.body)).toBe(200);
    expect(regenerated.body.recovery_codes).toHaveLength(10);
    const old = await verify({
      mfa_token: await mfaTokenFor(user),
      recovery_code: user.recoveryCodes[0]!,
    });
    expect(old.status).toBe(401);
    const fresh = await verify({
      mfa_token: await mfaTokenFor(user),
      recovery_code: regenerated.body.recovery_codes[0],
    });
    expect(fresh.status).toBe(200);
    expect(await eventsOf(user.id, 'recovery_codes_regenerated')).toBe(1);
  });

  it('disables with the password and a code: other sessions end, a notice is mailed', async () => {
    const user = await enrolled();
    const other = await verify({
      mfa_token: await mfaTokenFor(user),
      code: totpStepsAway(user.secret, 0),
    });
    const noCode = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(user.accessToken))
      .send({ password: user.password });
    expect(noCode.status).toBe(422);
    const both = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(user.accessToken))
      .send({ password: user.password, code: '123456', recovery_code: user.recoveryCodes[1] });
    expect(both.status).toBe(422);

    const disabled = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(user.accessToken))
      .send({ password: user.password, recovery_code: user.recoveryCodes[1] });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expect((await t.http.get('/auth/me').set(bearer(other.body.access_token))).status).toBe(401);
    expect((await t.http.get('/auth/me').set(bearer(user.accessToken))).status).toBe(200);
    await smtp.mailTo(user.email, /Two-step verification is off/);
    expect(await eventsOf(user.id, 'mfa_disabled')).toBe(1);
    expect((await passwordStep(user)).status).toBe(200);
    const rows = await t.dataSource.query('SELECT 1 FROM mfa_factors WHERE user_id = $1', [
      user.id,
    ]);
    expect(rows).toEqual([]);
  });

  it('refuses the sixth code on one mfa_token even when right', async () => {
    const user = await enrolled();
    const response = await unlimited.http
      .post('/auth/login')
      .set('User-Agent', 'vitest')
      .send({ username_or_email: user.username, password: user.password });
    const mfaToken = response.body.mfa_token as string;
    const attempt = (code: string) =>
      unlimited.http
        .post('/auth/mfa/verify')
        .set('User-Agent', 'vitest')
        .send({ mfa_token: mfaToken, code });
    for (let i = 0; i < 5; i += 1) {
      const wrong = await attempt('000000');
      expect(wrong.status).toBe(401);
      expect(wrong.body.type).toBe(`${PROBLEM}invalid-mfa-code`);
    }
    const right = await attempt(totpStepsAway(user.secret, 0));
    expect(right.status).toBe(401);
    expect(right.body.type).toBe(`${PROBLEM}invalid-mfa-token`);
    expect(await eventsOf(user.id, 'mfa_failed')).toBe(5);
  });

  it('counts wrong codes on the user’s own backoff, across mfa_tokens, which a right password does not clear', async () => {
    // LOGIN_BACKOFF_AFTER_FAILURES=5: the fifth wrong code holds every later one.
    const user = await enrolled();
    const first = await mfaTokenFor(user);
    for (let i = 0; i < 4; i += 1) {
      expect((await verify({ mfa_token: first, code: '000000' })).status).toBe(401);
    }
    // A new login (by email this time: one count for both names) goes on from there.
    const byEmail = await t.http
      .post('/auth/login')
      .set('User-Agent', 'vitest')
      .send({ username_or_email: user.email, password: user.password });
    expect(byEmail.status).toBe(403);
    const second = byEmail.body.mfa_token as string;
    expect((await verify({ mfa_token: second, code: '000000' })).status).toBe(401);
    const held = await verify({ mfa_token: second, code: totpStepsAway(user.secret, 0) });
    expect(held.status).toBe(429);
    expect(held.body.type).toBe(`${PROBLEM}login-backoff`);
    expect(await eventsOf(user.id, 'mfa_failed')).toBe(5);
  });

  it('counts wrong confirm codes of a pending setup: a stolen session cannot guess its secret', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    const confirm = (code: string) =>
      t.http.post('/auth/mfa/totp/confirm').set(bearer(accessToken)).send({ code });
    for (let i = 0; i < 5; i += 1) expect((await confirm('000000')).status).toBe(403);
    const held = await confirm(totpStepsAway(setup.body.secret as string, 0));
    expect(held.status).toBe(429);
    expect(held.body.type).toBe(`${PROBLEM}login-backoff`);
    const status = await t.http.get('/auth/mfa').set(bearer(accessToken));
    expect(status.body.enabled).toBe(false);
    expect(await eventsOf(user.id, 'mfa_enabled')).toBe(0);
  });

  it('answers two confirms at once with one set of recovery codes, the other 409', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    const code = totpStepsAway(setup.body.secret as string, 0);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        t.http.post('/auth/mfa/totp/confirm').set(bearer(accessToken)).send({ code }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body.type).toBe(`${PROBLEM}mfa-already-enabled`);
    }
    const issued = answers.find((a) => a.status === 200)!.body.recovery_codes as string[];
    const stored = await t.dataSource.query('SELECT 1 FROM mfa_recovery_codes WHERE user_id = $1', [
      user.id,
    ]);
    expect(stored).toHaveLength(10);
    expect(await eventsOf(user.id, 'mfa_enabled')).toBe(1);
    // The codes that were answered are the ones that work.
    const done = await verify({ mfa_token: await mfaTokenFor(user), recovery_code: issued[0]! });
    expect(done.status).toBe(200);
  });

  it('never leaves a confirm answering codes for a setup that replaced its secret', async () => {
    for (let round = 0; round < 3; round += 1) {
      const user = await signUp(t.http);
      const { accessToken } = await logIn(t.http, user);
      const setup = await t.http
        .post('/auth/mfa/totp/setup')
        .set(bearer(accessToken))
        .send({ password: user.password });
      const [confirmed, again] = await Promise.all([
        t.http
          .post('/auth/mfa/totp/confirm')
          .set(bearer(accessToken))
          .send({ code: totpStepsAway(setup.body.secret as string, 0) }),
        t.http
          .post('/auth/mfa/totp/setup')
          .set(bearer(accessToken))
          .send({ password: user.password }),
      ]);
      const status = await t.http.get('/auth/mfa').set(bearer(accessToken));
      expect(status.body.enabled).toBe(confirmed.status === 200);
      if (confirmed.status === 200) {
        expect(again.status).toBe(409);
        // The secret confirmed is the one the app has.
        const done = await verify({
          mfa_token: await mfaTokenFor(user),
          code: totpStepsAway(setup.body.secret as string, 1),
        });
        expect(done.status, JSON.stringify(done.body)).toBe(200);
      } else {
        expect(again.status).toBe(200);
        expect(confirmed.status).toBe(403);
      }
    }
  });

  it('answers a confirm once two-step verification is on with 409 mfa-already-enabled', async () => {
    const user = await enrolled();
    const again = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(user.accessToken))
      .send({ code: totpStepsAway(user.secret, 0) });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe(`${PROBLEM}mfa-already-enabled`);
  });

  it('forgets remembered devices when the second factor is turned off, and on again', async () => {
    const user = await enrolled();
    const remembered = await verify({
      mfa_token: await mfaTokenFor(user),
      code: totpStepsAway(user.secret, 0),
      remember_device: true,
    });
    const deviceToken = remembered.body.device_token as string;
    // The session that disables it is the one that stays signed in.
    const access = remembered.body.access_token as string;
    const disabled = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(access))
      .send({ password: user.password, recovery_code: user.recoveryCodes[0] });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    const rows = await t.dataSource.query<{ remembered_until: Date | null }[]>(
      'SELECT remembered_until FROM known_devices WHERE user_id = $1',
      [user.id],
    );
    expect(rows).toEqual([{ remembered_until: null }]);

    // A new app: the device remembered under the old one does not skip it.
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(access))
      .send({ password: user.password });
    expect(setup.status).toBe(200);
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(access))
      .send({ code: totpStepsAway(setup.body.secret as string, 0) });
    expect(confirmed.status).toBe(200);
    const fromDevice = await t.http.post('/auth/login').set('User-Agent', 'vitest').send({
      username_or_email: user.username,
      password: user.password,
      device_token: deviceToken,
    });
    expect(fromDevice.status).toBe(403);
    expect(fromDevice.body.type).toBe(`${PROBLEM}mfa-required`);
  });

  it('ends pending second steps at a password change and when the second factor is turned off', async () => {
    const user = await enrolled();
    const session = await verify({
      mfa_token: await mfaTokenFor(user),
      code: totpStepsAway(user.secret, 0),
    });
    const pending = await mfaTokenFor(user);
    const changed = await t.http
      .post('/auth/change-password')
      .set(bearer(session.body.access_token as string))
      .send({ current_password: user.password, new_password: `${user.password} renewed` });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const late = await verify({ mfa_token: pending, code: totpStepsAway(user.secret, 1) });
    expect(late.status).toBe(401);
    expect(late.body.type).toBe(`${PROBLEM}invalid-mfa-token`);

    const renewed = { ...user, password: `${user.password} renewed` };
    const another = await mfaTokenFor(renewed);
    const disabled = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(session.body.access_token as string))
      .send({ password: renewed.password, recovery_code: user.recoveryCodes[0] });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    const rows = await t.dataSource.query(
      'SELECT 1 FROM mfa_challenges WHERE user_id = $1 AND used_at IS NULL',
      [user.id],
    );
    expect(rows).toHaveLength(0);
    const gone = await verify({ mfa_token: another, recovery_code: user.recoveryCodes[1]! });
    expect(gone.body.type).toBe(`${PROBLEM}invalid-mfa-token`);
  });

  it('sets an mfa_token’s expiry on the database’s clock, 300 s after its creation', async () => {
    const user = await enrolled();
    await mfaTokenFor(user);
    const [row] = await t.dataSource.query<{ seconds: number }[]>(
      'SELECT extract(epoch FROM expires_at - created_at)::float AS seconds FROM mfa_challenges WHERE user_id = $1',
      [user.id],
    );
    expect(row!.seconds).toBe(300);
  });

  it('refuses remember_device on the routes that ignore it', async () => {
    const user = await enrolled();
    const refused = await t.http
      .post('/auth/mfa/recovery-codes/regenerate')
      .set(bearer(user.accessToken))
      .send({
        password: user.password,
        code: totpStepsAway(user.secret, 0),
        remember_device: true,
      });
    expect(refused.status).toBe(422);
  });

  it('gives a parallel burst of 20 codes on one mfa_token at most 5 checks', async () => {
    const user = await enrolled();
    const mfaToken = await mfaTokenFor(user);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        verify({ mfa_token: mfaToken, code: String(100000 + i) }),
      ),
    );
    const checked = answers.filter((a) => a.body.type === `${PROBLEM}invalid-mfa-code`);
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(answers.every((a) => [401, 429].includes(a.status))).toBe(true);
    const [row] = await t.dataSource.query<{ attempts: number }[]>(
      'SELECT attempts FROM mfa_challenges WHERE user_id = $1',
      [user.id],
    );
    expect(row!.attempts).toBeLessThanOrEqual(5);
    expect(await eventsOf(user.id, 'mfa_failed')).toBeLessThanOrEqual(5);
  });

  it('asks for the second factor on another instance at once after enrolment on this one', async () => {
    const user = await enrolled();
    const elsewhere = await unlimited.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.type).toBe(`${PROBLEM}mfa-required`);
  });

  it('binds the mfa_token to the client that logged in', async () => {
    const user = await enrolled();
    const mfaToken = await mfaTokenFor(user);
    const elsewhere = await verify(
      { mfa_token: mfaToken, code: totpStepsAway(user.secret, 0) },
      'other',
    );
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.type).toBe(`${PROBLEM}invalid-mfa-token`);
    // It spent nothing: the login's own client still completes it.
    const own = await verify({ mfa_token: mfaToken, code: totpStepsAway(user.secret, 0) });
    expect(own.status).toBe(200);
  });

  it('never logs a code, a recovery code, an mfa_token or the secret', async () => {
    const user = await enrolled();
    const mfaToken = await mfaTokenFor(user);
    await verify({ mfa_token: mfaToken, recovery_code: user.recoveryCodes[2]! });
    const logged = t.logs.join('\n');
    for (const secret of [user.secret, mfaToken, user.recoveryCodes[2]!]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('remembers a device on request: its next logins skip the second step, others still ask', async () => {
    const user = await enrolled();
    const remembered = await verify({
      mfa_token: await mfaTokenFor(user),
      code: totpStepsAway(user.secret, 0),
      remember_device: true,
    });
    expect(remembered.status, JSON.stringify(remembered.body)).toBe(200);
    const deviceToken = remembered.body.device_token as string;
    expect(deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await eventsOf(user.id, 'device_remembered')).toBe(1);

    const fromDevice = await t.http.post('/auth/login').set('User-Agent', 'vitest').send({
      username_or_email: user.username,
      password: user.password,
      device_token: deviceToken,
    });
    expect(fromDevice.status, JSON.stringify(fromDevice.body)).toBe(200);
    expect(fromDevice.body.device_token).toBe(deviceToken);
    // Signed in with the password alone: sensitive actions still ask for a code (step-up).
    expect(claimsOf(fromDevice.body.access_token as string).amr).toEqual(['pwd']);

    // Without the token, or with one the account only knows without remembering, it asks.
    expect((await passwordStep(user)).status).toBe(403);
    const known = await t.http.post('/auth/login').send({
      username_or_email: user.username,
      password: user.password,
      request_device_token: true,
    });
    expect(known.status).toBe(403);
    expect(known.body.type).toBe(`${PROBLEM}mfa-required`);

    // Another account's remembered device is no way past this account's second step.
    const other = await enrolled();
    const foreign = await t.http.post('/auth/login').send({
      username_or_email: other.username,
      password: other.password,
      device_token: deviceToken,
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.type).toBe(`${PROBLEM}mfa-required`);

    // Forgetting the device (it ends its sessions) brings the second step back.
    const access = fromDevice.body.access_token as string;
    const devices = await t.http.get('/auth/devices').set(bearer(access));
    const [device] = devices.body as { id: string }[];
    expect((await t.http.delete(`/auth/devices/${device!.id}`).set(bearer(access))).status).toBe(
      204,
    );
    const afterForget = await t.http.post('/auth/login').send({
      username_or_email: user.username,
      password: user.password,
      device_token: deviceToken,
    });
    expect(afterForget.status).toBe(403);
  });
});
