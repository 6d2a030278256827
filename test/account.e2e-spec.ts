import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { logIn, newSignup, signUp, type SignedUpUser } from './factories/user.factory.js';
import { startSmtpServer, tokenIn, type TestSmtpServer } from './smtp-server.js';

const PUBLIC_URL = 'https://app.whazz.test';

describe('account lifecycle over real SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const tokensSeen: string[] = [];
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ SMTP_URL: smtp.url, APP_PUBLIC_URL: PUBLIC_URL });
  });
  afterAll(async () => {
    // No token that travelled by mail may ever reach a log line.
    for (const token of tokensSeen) {
      expect(t.logs.filter((line) => line.includes(token))).toEqual([]);
    }
    await t.close();
    await smtp.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const linkToken = async (to: string, subject: RegExp) => {
    const mail = await smtp.mailTo(to, subject);
    const token = tokenIn(mail);
    tokensSeen.push(token);
    return { mail, token };
  };
  const verify = (token: string) => t.http.post('/auth/verify-email').send({ token });
  const me = (accessToken: string) => t.http.get('/auth/me').set(bearer(accessToken));

  describe('email verification', () => {
    it('mails a link at signup; following it verifies the address, once', async () => {
      const user = await signUp(t.http);
      const { mail, token } = await linkToken(user.email, /Confirm your email/);
      expect(mail.text).toContain(`${PUBLIC_URL}/verify-email?token=${token}`);
      expect(mail.html).toContain(`${PUBLIC_URL}/verify-email?token=${token}`);
      const session = await logIn(t.http, user);
      expect((await me(session.accessToken)).body.email_verified).toBe(false);

      const verified = await verify(token);
      expect(verified.status).toBe(200);
      expect((await me(session.accessToken)).body.email_verified).toBe(true);

      const again = await verify(token);
      expect(again.status).toBe(400);
      expect(again.body.type).toBe('https://whazz.audio/problems/invalid-account-token');
    });

    it('acts only on the account a token was issued for, whoever presents it', async () => {
      const [alice, bob] = [await signUp(t.http), await signUp(t.http)];
      const { token } = await linkToken(alice.email, /Confirm your email/);
      const bobSession = await logIn(t.http, bob);
      const presented = await t.http
        .post('/auth/verify-email')
        .set(bearer(bobSession.accessToken))
        .send({ token });
      expect(presented.status).toBe(200);
      expect((await me(bobSession.accessToken)).body.email_verified).toBe(false);
      const aliceSession = await logIn(t.http, alice);
      expect((await me(aliceSession.accessToken)).body.email_verified).toBe(true);
    });

    it('refuses an unknown token with 400 and a malformed one with 422', async () => {
      expect((await verify('A'.repeat(43))).status).toBe(400);
      const malformed = await verify("x' OR '1'='1");
      expect(malformed.status).toBe(422);
      expect(malformed.body.errors[0].field).toBe('token');
    });

    it('refuses an expired token', async () => {
      const user = await signUp(t.http);
      const { token } = await linkToken(user.email, /Confirm your email/);
      await t.dataSource.query(
        `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [user.id],
      );
      expect((await verify(token)).status).toBe(400);
    });

    it('resends a fresh link that voids the old one, and does nothing for a verified address', async () => {
      const user = await signUp(t.http);
      const { token: first } = await linkToken(user.email, /Confirm your email/);
      const session = await logIn(t.http, user);
      const resent = await t.http
        .post('/auth/verify-email/resend')
        .set(bearer(session.accessToken));
      expect(resent.status).toBe(202);
      await expect.poll(() => smtp.received.filter((m) => m.to === user.email).length).toBe(2);
      const second = tokenIn(smtp.received.filter((m) => m.to === user.email)[1]!);
      tokensSeen.push(second);
      expect((await verify(first)).status).toBe(400);
      expect((await verify(second)).status).toBe(200);

      expect(
        (await t.http.post('/auth/verify-email/resend').set(bearer(session.accessToken))).status,
      ).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(smtp.received.filter((m) => m.to === user.email)).toHaveLength(2);
    });
  });

  describe('a new verification link without a session (issue #18)', () => {
    const askForLink = (email: string) => t.http.post('/auth/verify-email/request').send({ email });
    const verificationMails = (to: string) =>
      smtp.received.filter((m) => m.to === to && /Confirm your email/.test(m.subject));

    it('mails a fresh link that voids the older one, and nothing to a disabled account', async () => {
      const user = await signUp(t.http);
      const { token: first } = await linkToken(user.email, /Confirm your email/);
      expect((await askForLink(user.email)).status).toBe(202);
      await expect.poll(() => verificationMails(user.email).length).toBe(2);
      const second = tokenIn(verificationMails(user.email)[1]!);
      tokensSeen.push(second);
      expect((await verify(first)).status).toBe(400);
      expect((await verify(second)).status).toBe(200);

      const disabled = await signUp(t.http);
      await linkToken(disabled.email, /Confirm your email/);
      await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [disabled.id]);
      expect((await askForLink(disabled.email)).status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(verificationMails(disabled.email)).toHaveLength(1);
    });

    it('takes about as long for an unknown address as for a known one', async () => {
      const user = await signUp(t.http);
      const times = { known: [] as number[], unknown: [] as number[] };
      const time = async (kind: keyof typeof times, email: string) => {
        const started = performance.now();
        expect((await askForLink(email)).status).toBe(202);
        times[kind].push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 30));
      };
      for (let n = 0; n < 9; n += 1) {
        await time('known', user.email);
        await time('unknown', 'no.such.person@example.com');
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[4]!;
      const ratio = median(times.unknown) / median(times.known);
      expect(ratio).toBeGreaterThan(0.33);
      expect(ratio).toBeLessThan(3);
    });
  });

  describe('password reset', () => {
    const forgot = (email: string) => t.http.post('/auth/forgot-password').send({ email });
    const reset = (token: string, newPassword: string) =>
      t.http.post('/auth/reset-password').send({ token, new_password: newPassword });

    it('answers a known and an unknown address alike, and mails only the known one', async () => {
      const user = await signUp(t.http);
      const known = await forgot(user.email.toUpperCase());
      const unknown = await forgot('nobody.at.all@example.com');
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(known.body).toEqual(unknown.body);
      const { mail } = await linkToken(user.email, /Reset your password/);
      expect(mail.text).toContain(`${PUBLIC_URL}/reset-password?token=`);
      expect(smtp.received.some((m) => m.to === 'nobody.at.all@example.com')).toBe(false);
    });

    it('takes about as long for an unknown address as for a known one', async () => {
      const user = await signUp(t.http);
      const times = { known: [] as number[], unknown: [] as number[] };
      const time = async (kind: keyof typeof times, email: string) => {
        const started = performance.now();
        expect((await forgot(email)).status).toBe(202);
        times[kind].push(performance.now() - started);
        // Let the mail work done after the answer finish, so it cannot slow the next request.
        await new Promise((resolve) => setTimeout(resolve, 30));
      };
      // Interleaved, so drift in the machine's load affects both alike.
      for (let n = 0; n < 9; n += 1) {
        await time('known', user.email);
        await time('unknown', 'no.such.person@example.com');
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[4]!;
      const ratio = median(times.unknown) / median(times.known);
      expect(ratio).toBeGreaterThan(0.33);
      expect(ratio).toBeLessThan(3);
    });

    it('sets the new password, signs out every session, and the link dies', async () => {
      const user = await signUp(t.http);
      const session = await logIn(t.http, user);
      await forgot(user.email);
      const { token } = await linkToken(user.email, /Reset your password/);

      const done = await reset(token, 'a brand new pass phrase');
      expect(done.status).toBe(200);
      expect((await me(session.accessToken)).status).toBe(401);
      const refresh = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: session.refreshToken });
      expect(refresh.status).toBe(401);
      const oldLogin = await t.http
        .post('/auth/login')
        .send({ username_or_email: user.username, password: user.password });
      expect(oldLogin.status).toBe(401);
      await logIn(t.http, { ...user, password: 'a brand new pass phrase' });

      expect((await reset(token, 'yet another pass phrase')).status).toBe(400);
      const notice = await smtp.mailTo(user.email, /password was changed/);
      expect(notice.text).not.toContain('token=');
      expect(notice.text).not.toContain('a brand new pass phrase');
    });

    it('lets exactly one of many concurrent uses of a reset link win', async () => {
      const user = await signUp(t.http);
      await forgot(user.email);
      const { token } = await linkToken(user.email, /Reset your password/);
      const statuses = (
        await Promise.all(
          Array.from({ length: 6 }, (_, n) => reset(token, `parallel pass phrase ${n}`)),
        )
      ).map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(5);
    });

    it('keeps only the newest link working', async () => {
      const user = await signUp(t.http);
      await forgot(user.email);
      const { token: older } = await linkToken(user.email, /Reset your password/);
      await forgot(user.email);
      await expect
        .poll(
          () => smtp.received.filter((m) => m.to === user.email && /Reset/.test(m.subject)).length,
        )
        .toBe(2);
      const newer = tokenIn(
        smtp.received.filter((m) => m.to === user.email && /Reset/.test(m.subject))[1]!,
      );
      tokensSeen.push(newer);
      expect((await reset(older, 'a brand new pass phrase')).status).toBe(400);
      expect((await reset(newer, 'a brand new pass phrase')).status).toBe(200);
    });

    it('applies the signup password rules, and a refused password leaves the link usable', async () => {
      const user = await signUp(t.http);
      await forgot(user.email);
      const { token } = await linkToken(user.email, /Reset your password/);
      const common = await reset(token, 'password123');
      expect(common.status).toBe(422);
      expect(common.body.errors[0].field).toBe('new_password');
      const personal = await reset(token, `my name is ${user.username}`);
      expect(personal.body.errors).toEqual([
        { field: 'new_password', message: 'must not contain the username' },
      ]);
      expect((await reset(token, 'short')).status).toBe(422);
      expect((await reset(token, 'a brand new pass phrase')).status).toBe(200);
    });

    it('refuses an expired link, and a token meant for something else', async () => {
      const user = await signUp(t.http);
      const { token: verification } = await linkToken(user.email, /Confirm your email/);
      expect((await reset(verification, 'a brand new pass phrase')).status).toBe(400);
      await forgot(user.email);
      const { token: resetToken } = await linkToken(user.email, /Reset your password/);
      expect((await verify(resetToken)).status).toBe(400);
      await t.dataSource.query(
        `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND purpose = 'reset_password'`,
        [user.id],
      );
      expect((await reset(resetToken, 'a brand new pass phrase')).status).toBe(400);
    });
  });

  describe('changes by the signed-in user', () => {
    let user: SignedUpUser;
    beforeAll(async () => {
      user = await signUp(t.http);
    });

    it('changes the password: wrong current one is a 403, other sessions end, this one stays', async () => {
      const here = await logIn(t.http, user, 'here');
      const elsewhere = await logIn(t.http, user, 'elsewhere');
      const change = (current: string, next: string) =>
        t.http
          .post('/auth/change-password')
          .set(bearer(here.accessToken))
          .send({ current_password: current, new_password: next });

      const wrong = await change('not my password', 'a brand new pass phrase');
      expect(wrong.status).toBe(403);
      expect(wrong.body.type).toBe('https://whazz.audio/problems/wrong-password');
      expect(wrong.body.errors).toEqual([{ field: 'current_password', message: 'is incorrect' }]);
      expect((await change(user.password, `${user.username}!!`)).status).toBe(422);

      expect((await change(user.password, 'a brand new pass phrase')).status).toBe(200);
      expect((await me(here.accessToken)).status).toBe(200);
      expect((await me(elsewhere.accessToken)).status).toBe(401);
      user.password = 'a brand new pass phrase';
      await logIn(t.http, user);
      const notice = await smtp.mailTo(user.email, /password was changed/);
      expect(notice.text).not.toContain(user.password);
    });

    it('changes the email only once the link mailed to the new address is followed', async () => {
      const session = await logIn(t.http, user);
      const oldEmail = user.email;
      const newEmail = newSignup().email;
      const wrong = await t.http
        .post('/auth/change-email')
        .set(bearer(session.accessToken))
        .send({ new_email: newEmail, password: 'wrong password' });
      expect(wrong.status).toBe(403);

      const asked = await t.http
        .post('/auth/change-email')
        .set(bearer(session.accessToken))
        .send({ new_email: newEmail.toUpperCase(), password: user.password });
      expect(asked.status).toBe(202);
      const { token } = await linkToken(newEmail, /Confirm your new email/);
      const warning = await smtp.mailTo(oldEmail, /change of email address was requested/);
      expect(warning.text).toContain(newEmail);
      expect(warning.text).not.toContain('token=');
      expect((await me(session.accessToken)).body.email).toBe(oldEmail);

      expect((await verify(token)).status).toBe(200);
      const after = await me(session.accessToken);
      expect(after.body).toMatchObject({ email: newEmail, email_verified: true });
      await smtp.mailTo(oldEmail, /email address was changed/);
      await logIn(t.http, { ...user, username: newEmail });
      // The old address is free for someone else now.
      await signUp(t.http, { email: oldEmail });
      user.email = newEmail;
    });

    it('voids a pending email change when the password is reset: it would hand the account over', async () => {
      // An attacker who knows the password starts a change to their own address...
      const victim = await signUp(t.http);
      const attacker = await logIn(t.http, victim);
      const attackerEmail = newSignup().email;
      await t.http
        .post('/auth/change-email')
        .set(bearer(attacker.accessToken))
        .send({ new_email: attackerEmail, password: victim.password });
      const { token: takeover } = await linkToken(attackerEmail, /Confirm your new email/);
      // ...the owner resets the password, which must end the attacker's hold entirely.
      await t.http.post('/auth/forgot-password').send({ email: victim.email });
      const { token: resetToken } = await linkToken(victim.email, /Reset your password/);
      const reset = await t.http
        .post('/auth/reset-password')
        .send({ token: resetToken, new_password: 'a brand new pass phrase' });
      expect(reset.status).toBe(200);
      expect((await verify(takeover)).status).toBe(400);
      const [row] = await t.dataSource.query<[{ email: string }]>(
        'SELECT email FROM users WHERE id = $1',
        [victim.id],
      );
      expect(row.email).toBe(victim.email);
    });

    it('voids a verification link sent to the previous address', async () => {
      const other = await signUp(t.http);
      const { token: oldLink } = await linkToken(other.email, /Confirm your email/);
      const session = await logIn(t.http, other);
      const newEmail = newSignup().email;
      await t.http
        .post('/auth/change-email')
        .set(bearer(session.accessToken))
        .send({ new_email: newEmail, password: other.password });
      const { token } = await linkToken(newEmail, /Confirm your new email/);
      expect((await verify(token)).status).toBe(200);
      expect((await verify(oldLink)).status).toBe(400);
    });

    it('refuses a taken address with 409 and the current one with 422', async () => {
      const session = await logIn(t.http, user);
      const someoneElse = await signUp(t.http);
      const taken = await t.http
        .post('/auth/change-email')
        .set(bearer(session.accessToken))
        .send({ new_email: someoneElse.email, password: user.password });
      expect(taken.status).toBe(409);
      const same = await t.http
        .post('/auth/change-email')
        .set(bearer(session.accessToken))
        .send({ new_email: user.email, password: user.password });
      expect(same.status).toBe(422);
    });

    it('deletes the account with its sessions; the email and username become free', async () => {
      const doomed = await signUp(t.http);
      const session = await logIn(t.http, doomed);
      const remove = (password: string) =>
        t.http.delete('/auth/me').set(bearer(session.accessToken)).send({ password });
      expect((await remove('wrong password')).status).toBe(403);
      const removed = await remove(doomed.password);
      expect(removed.status).toBe(204);

      expect((await me(session.accessToken)).status).toBe(401);
      const login = await t.http
        .post('/auth/login')
        .send({ username_or_email: doomed.username, password: doomed.password });
      expect(login.status).toBe(401);
      for (const table of ['users', 'sessions', 'account_tokens', 'security_events']) {
        const column = table === 'users' ? 'id' : 'user_id';
        const rows = await t.dataSource.query<unknown[]>(
          `SELECT 1 FROM ${table} WHERE ${column} = $1`,
          [doomed.id],
        );
        expect(rows, table).toEqual([]);
      }
      await smtp.mailTo(doomed.email, /account was deleted/);
      await signUp(t.http, { email: doomed.email, username: doomed.username });
    });
  });
});

describe('account lifecycle settings and mail faults', () => {
  it('REQUIRE_VERIFIED_EMAIL refuses an unverified login with 403 until the link is followed', async () => {
    const smtp = await startSmtpServer();
    const t = await createTestApp({ SMTP_URL: smtp.url, REQUIRE_VERIFIED_EMAIL: 'true' });
    try {
      const user = await signUp(t.http);
      const body = { username_or_email: user.username, password: user.password };
      const refused = await t.http.post('/auth/login').send(body);
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe('https://whazz.audio/problems/email-not-verified');
      const wrong = await t.http.post('/auth/login').send({ ...body, password: 'wrong password' });
      expect(wrong.status).toBe(401);
      const token = tokenIn(await smtp.mailTo(user.email));
      expect((await t.http.post('/auth/verify-email').send({ token })).status).toBe(200);
      expect((await t.http.post('/auth/login').send(body)).status).toBe(200);
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('limits email-change requests per user', async () => {
    const t = await createTestApp({ RATE_LIMIT_CHANGE_EMAIL: '1/1h' });
    try {
      const user = await signUp(t.http);
      const session = await logIn(t.http, user);
      const change = () =>
        t.http
          .post('/auth/change-email')
          .set('Authorization', `Bearer ${session.accessToken}`)
          .send({ new_email: newSignup().email, password: user.password });
      expect((await change()).status).toBe(202);
      expect((await change()).status).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('limits verification resends per user', async () => {
    const t = await createTestApp({ RATE_LIMIT_VERIFY_EMAIL_RESEND: '2/1h' });
    try {
      const user = await signUp(t.http);
      const session = await logIn(t.http, user);
      const resend = () =>
        t.http
          .post('/auth/verify-email/resend')
          .set('Authorization', `Bearer ${session.accessToken}`);
      expect((await resend()).status).toBe(202);
      expect((await resend()).status).toBe(202);
      const refused = await resend();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('never fails the request when the mail server refuses; the mail arrives on a retry', async () => {
    const smtp = await startSmtpServer();
    const t = await createTestApp({ SMTP_URL: smtp.url });
    try {
      smtp.refuse(true);
      const user = await signUp(t.http);
      await expect.poll(() => t.logs.some((line) => line.includes('will retry'))).toBe(true);
      smtp.refuse(false);
      const mail = await smtp.mailTo(user.email, /Confirm your email/, 5_000);
      const retryLine = t.logs.find((line) => line.includes('will retry'))!;
      expect(retryLine).not.toContain(user.email);
      expect(retryLine).not.toContain(tokenIn(mail));
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('without SMTP_URL writes each mail to the outbox folder, with a clickable link', async () => {
    const outbox = join(
      (await import('node:os')).tmpdir(),
      `whazz-outbox-${Date.now()}-${Math.random()}`,
    );
    const t = await createTestApp({ MAIL_OUTBOX_DIR: outbox });
    try {
      expect(t.logs.some((line) => line.includes('SMTP_URL is not set'))).toBe(true);
      const user = await signUp(t.http);
      await expect.poll(async () => (await readdir(outbox).catch(() => [])).length).toBe(1);
      const [file] = await readdir(outbox);
      const text = await readFile(join(outbox, file!), 'utf8');
      expect(text).toContain(`To: ${user.email}`);
      expect(text).toMatch(/http:\/\/localhost:8000\/verify-email\?token=[A-Za-z0-9_-]{43}/);
    } finally {
      await t.close();
    }
  });
});
