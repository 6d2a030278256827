import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { auditRowsFor, signUpOperator } from './factories/admin.factory.js';
import { logIn, signUp, type LoggedInUser, type SignedUpUser } from './factories/user.factory.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-server.js';
import { totpStepsAway, previousStepCode } from './totp-reference.js';

const PROBLEM = 'https://whazz.audio/problems/';

describe("an administrator's reset of a user's second factor (issue #20)", () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let operator: LoggedInUser;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({ SMTP_URL: smtp.url });
    operator = await signUpOperator(t.http, t.dataSource);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const reset = (id: string, actor: { accessToken: string }, body: object = { reason: 'ticket' }) =>
    t.http.post(`/admin/users/${id}/mfa/reset`).set(bearer(actor.accessToken)).send(body);
  const countOf = async (table: string, userId: string) =>
    Number(
      (
        await t.dataSource.query<{ count: string }[]>(
          `SELECT count(*) FROM ${table} WHERE user_id = $1`,
          [userId],
        )
      )[0]!.count,
    );

  /** Signs up and turns TOTP on; `accessToken` is the session that enrolled (password only). */
  async function enrolled(user?: SignedUpUser) {
    const account = user ?? (await signUp(t.http));
    const { accessToken } = await logIn(t.http, account);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: account.password });
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(accessToken))
      .send({ code: await previousStepCode(secret) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return { ...account, secret, accessToken };
  }

  it('removes the factors and codes, ends every session, forgets devices, audits, notifies and records the event', async () => {
    const user = await enrolled();
    const step = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    const remembered = await t.http.post('/auth/mfa/verify').send({
      mfa_token: step.body.mfa_token,
      code: totpStepsAway(user.secret, 0),
      remember_device: true,
    });
    expect(remembered.status, JSON.stringify(remembered.body)).toBe(200);
    expect(await countOf('known_devices', user.id)).toBe(1);

    const response = await reset(user.id, operator, { reason: 'Lost phone, ticket 4711' });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({
      removed_methods: ['totp', 'recovery_code'],
      sessions_revoked: 2,
    });
    expect(await countOf('mfa_factors', user.id)).toBe(0);
    expect(await countOf('mfa_recovery_codes', user.id)).toBe(0);
    expect(await countOf('known_devices', user.id)).toBe(0);
    for (const token of [user.accessToken, remembered.body.access_token as string]) {
      expect((await t.http.get('/auth/me').set(bearer(token))).status).toBe(401);
    }

    const [entry] = (await auditRowsFor(t.dataSource, user.id)).filter(
      (row) => row.action === 'user.mfa_reset',
    );
    expect(entry).toMatchObject({
      actor_user_id: operator.id,
      reason: 'Lost phone, ticket 4711',
      before: { mfa_methods: ['totp', 'recovery_code'], recovery_codes: 10 },
      after: { mfa_methods: [], recovery_codes: 0, sessions_revoked: 2 },
    });
    const mail = await smtp.mailTo(user.email, /Two-step verification was reset/);
    expect(mail.text).toContain('An administrator removed two-step verification');
    expect(mail.text).not.toMatch(/\b\d{6}\b/);

    // The password alone signs in now; the owner sees what happened.
    const { accessToken } = await logIn(t.http, user);
    const events = await t.http.get('/auth/events').set(bearer(accessToken));
    expect((events.body.events as { type: string }[]).map(({ type }) => type)).toContain(
      'mfa_reset_by_admin',
    );
  });

  it('answers 409 mfa-not-enabled for an account without a second factor, and records nothing', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const response = await reset(user.id, operator);
    expect(response.status).toBe(409);
    expect(response.body.type).toBe(`${PROBLEM}mfa-not-enabled`);
    expect((await t.http.get('/auth/me').set(bearer(accessToken))).status).toBe(200);
    expect(await auditRowsFor(t.dataSource, user.id)).toEqual([]);
  });

  it('needs a reason (422), and 404 for an unknown account', async () => {
    const user = await enrolled();
    const missing = await reset(user.id, operator, {});
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    expect(await countOf('mfa_factors', user.id)).toBe(1);
    const unknown = await reset('00000000-0000-4000-8000-000000000000', operator);
    expect(unknown.status).toBe(404);
  });

  it('refuses an account holding permissions the administrator lacks (403 target-outranks-actor)', async () => {
    const resetter = await signUpOperator(t.http, t.dataSource, ['users:reset-mfa']);
    const target = await enrolled(await signUpOperator(t.http, t.dataSource, ['users:read']));
    const response = await reset(target.id, resetter);
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(`${PROBLEM}target-outranks-actor`);
    expect(await countOf('mfa_factors', target.id)).toBe(1);
  });

  it('asks an administrator with a second factor for it: step-up, then the reset', async () => {
    const resetter = await enrolled(
      await signUpOperator(t.http, t.dataSource, ['users:reset-mfa']),
    );
    const target = await enrolled();
    // The session that enrolled signed in with the password only: its token says so.
    const refused = await reset(target.id, resetter);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe(`${PROBLEM}step-up-required`);
    const allowed = await t.http
      .post(`/admin/users/${target.id}/mfa/reset`)
      .set(bearer(resetter.accessToken))
      .set('X-MFA-Code', totpStepsAway(resetter.secret, 0))
      .send({ reason: 'ticket 4712' });
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
  });
});
