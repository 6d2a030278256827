import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationService } from '../src/authorization/authorization.service.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './create-test-app.js';
import { auditRowsFor, signUpOperator } from './factories/admin.factory.js';
import { logIn, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';

const PROBLEMS = 'https://whazz.audio/problems';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token with `claims` under our header, HS256-signed with `secret`. */
function signed(claims: object, secret: string): string {
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

interface SessionRow {
  impersonated: boolean;
  impersonator_id: string | null;
  created_at: Date;
  expires_at: Date;
}

describe('impersonation for support (issue #19)', () => {
  let t: TestApp;
  let operator: LoggedInUser;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    // HS256 (issue #22's transition setting): well-signed tokens with odd claims are made here.
    t = await createTestApp({ JWT_SIGNING_ALGORITHM: 'HS256' });
    operator = await signUpOperator(t.http, t.dataSource, ['users:impersonate', 'users:read']);
  });
  afterAll(() => t.close());

  const impersonate = (actor: { accessToken: string }, id: string, body: object = {}) =>
    t.http
      .post(`/admin/users/${id}/impersonate`)
      .set(bearer(actor.accessToken))
      .set('User-Agent', 'support-desk')
      .send({ reason: 'Ticket 4711: playlist export fails', ...body });

  /** The target's impersonated session: its tokens and its id. */
  async function impersonated(target: { id: string }, actor = operator) {
    const response = await impersonate(actor, target.id);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const accessToken = response.body.access_token as string;
    return {
      response,
      accessToken,
      refreshToken: response.body.refresh_token as string,
      sessionId: claimsOf(accessToken).sid as string,
    };
  }

  const sessionRow = async (id: string) =>
    (
      await t.dataSource.query<SessionRow[]>(
        `SELECT impersonated, impersonator_id, created_at, expires_at FROM sessions WHERE id = $1`,
        [id],
      )
    )[0]!;

  describe('the tokens', () => {
    it('answers a token pair whose access token names the administrator in act (RFC 8693)', async () => {
      const user = await signUpAndLogIn(t.http);
      const { response, accessToken, sessionId } = await impersonated(user);
      expect(response.body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
      expect(response.body.refresh_token).toEqual(expect.any(String));

      const claims = claimsOf(accessToken);
      expect(claims).toMatchObject({ sub: user.id, act: { sub: operator.id } });
      expect(Object.keys(claims.act as object)).toEqual(['sub']);

      const me = await t.http.get('/auth/me').set(bearer(accessToken));
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: user.id, username: user.username });

      const row = await sessionRow(sessionId);
      expect(row).toMatchObject({ impersonated: true, impersonator_id: operator.id });
      expect(row.expires_at.getTime() - row.created_at.getTime()).toBeLessThanOrEqual(
        60 * 60 * 1000,
      );
      expect(row.expires_at.getTime() - row.created_at.getTime()).toBeGreaterThan(59 * 60 * 1000);
      expect((claims.exp as number) * 1000).toBeLessThanOrEqual(row.expires_at.getTime());
    });

    it('refuses a token with an act claim under a bad signature, or an act of another shape', async () => {
      const user = await signUpAndLogIn(t.http);
      const { accessToken } = await impersonated(user);
      const claims = claimsOf(accessToken);
      const forged = signed(claims, `${TEST_JWT_SECRET}-not`);
      expect((await t.http.get('/auth/me').set(bearer(forged))).status).toBe(401);
      // The right payload with a copied signature of another token: refused too.
      const [header, , signature] = user.accessToken.split('.');
      const spliced = `${header}.${accessToken.split('.')[1]}.${signature}`;
      expect((await t.http.get('/auth/me').set(bearer(spliced))).status).toBe(401);
      // Well signed, but `act` is not an object naming a user id: not taken as "no actor".
      for (const act of ['admin', { sub: 'admin' }, { sub: 42 }, null]) {
        const odd = signed({ ...claims, jti: randomUUID(), act }, TEST_JWT_SECRET);
        const response = await t.http.get('/auth/me').set(bearer(odd));
        expect(response.status, JSON.stringify(act)).toBe(401);
      }
    });

    it("never gives the user's own login an act claim", async () => {
      const user = await signUpAndLogIn(t.http);
      expect(claimsOf(user.accessToken).act).toBeUndefined();
    });
  });

  describe('what an impersonated session cannot do', () => {
    let user: LoggedInUser;
    let session: Awaited<ReturnType<typeof impersonated>>;
    beforeAll(async () => {
      // A support agent themselves: their session may impersonate, the impersonated one not.
      user = await signUpOperator(t.http, t.dataSource, ['users:impersonate', 'users:read']);
      session = await impersonated(user);
    });

    const refusals: [string, () => ReturnType<typeof t.http.get>, string][] = [
      [
        'change the password',
        () =>
          t.http
            .post('/auth/change-password')
            .set(bearer(session.accessToken))
            .send({ current_password: user.password, new_password: 'an entirely new phrase' }),
        'change the password',
      ],
      [
        'start an email change',
        () =>
          t.http
            .post('/auth/change-email')
            .set(bearer(session.accessToken))
            .send({ new_email: `new.${randomUUID()}@example.com`, password: user.password }),
        'change the email address',
      ],
      [
        'delete the account',
        () =>
          t.http
            .delete('/auth/me')
            .set(bearer(session.accessToken))
            .send({ password: user.password }),
        'delete the account',
      ],
      [
        'impersonate further',
        () =>
          t.http
            .post(`/admin/users/${operator.id}/impersonate`)
            .set(bearer(session.accessToken))
            .send({ reason: 'chain' }),
        'administration API',
      ],
      [
        'use any other /admin route, even one the user may use',
        () => t.http.get('/admin/users').set(bearer(session.accessToken)),
        'administration API',
      ],
    ];

    it.each(refusals)('cannot %s (403 impersonation-forbidden)', async (_, call, named) => {
      const response = await call();
      expect(response.status, JSON.stringify(response.body)).toBe(403);
      expect(response.body).toMatchObject({
        type: `${PROBLEMS}/impersonation-forbidden`,
        detail: expect.stringContaining(named),
      });
    });

    it('leaves the account as it was, and the same routes open to its own session', async () => {
      expect((await logIn(t.http, user)).accessToken).toEqual(expect.any(String));
      expect((await t.http.get('/admin/users').set(bearer(user.accessToken))).status).toBe(200);
      const other = await signUpAndLogIn(t.http);
      expect((await impersonate(user, other.id)).status).toBe(200);
      expect((await t.http.get('/auth/me').set(bearer(session.accessToken))).status).toBe(200);
    });
  });

  describe('whom it refuses', () => {
    it('an administrator (403), oneself (422), a disabled account (409), an unknown one (404)', async () => {
      const administrator = await signUpAndLogIn(t.http);
      await t.app.get(AuthorizationService).setUserRoles(administrator.id, ['admin']);
      const toAdmin = await impersonate(operator, administrator.id);
      expect(toAdmin.status).toBe(403);
      expect(toAdmin.body.type).toBe(`${PROBLEMS}/impersonation-of-administrator`);

      const toSelf = await impersonate(operator, operator.id);
      expect(toSelf.status).toBe(422);
      expect(toSelf.body.type).toBe(`${PROBLEMS}/impersonation-of-self`);

      const disabled = await signUpAndLogIn(t.http);
      await t.dataSource.query(`UPDATE users SET is_active = false WHERE id = $1`, [disabled.id]);
      const toDisabled = await impersonate(operator, disabled.id);
      expect(toDisabled.status).toBe(409);
      expect(toDisabled.body.type).toBe(`${PROBLEMS}/user-disabled`);

      expect((await impersonate(operator, randomUUID())).status).toBe(404);
      const opened = await t.dataSource.query(
        `SELECT 1 FROM sessions WHERE user_id = ANY($1::uuid[]) AND impersonated`,
        [[administrator.id, operator.id, disabled.id]],
      );
      expect(opened).toHaveLength(0);
    });

    it('needs a reason: present, not empty, at most 500 characters (422)', async () => {
      const user = await signUpAndLogIn(t.http);
      for (const body of [{ reason: undefined }, { reason: '' }, { reason: 'x'.repeat(501) }]) {
        const response = await impersonate(operator, user.id, body);
        expect(response.status, JSON.stringify(body)).toBe(422);
        expect(response.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
      }
    });
  });

  describe('its hour', () => {
    it('refreshes within the hour without moving its end, each access token capped by it', async () => {
      const user = await signUpAndLogIn(t.http);
      const { sessionId, refreshToken } = await impersonated(user);
      const { expires_at: end } = await sessionRow(sessionId);

      const refreshed = await t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
      expect(refreshed.status).toBe(200);
      expect(claimsOf(refreshed.body.access_token as string)).toMatchObject({
        act: { sub: operator.id },
      });
      expect((await sessionRow(sessionId)).expires_at).toEqual(end);

      // 30 seconds left: the next access token lives 30 seconds at most, not 15 minutes.
      const soon = new Date(Date.now() + 30_000);
      await t.dataSource.query(`UPDATE sessions SET expires_at = $2 WHERE id = $1`, [
        sessionId,
        soon,
      ]);
      const last = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: refreshed.body.refresh_token as string });
      expect(last.status).toBe(200);
      expect(last.body.expires_in).toBeLessThanOrEqual(30);
      const exp = claimsOf(last.body.access_token as string).exp as number;
      expect(exp * 1000).toBeLessThanOrEqual(soon.getTime());
      expect((await sessionRow(sessionId)).expires_at).toEqual(soon);

      // Its hour is over: the refresh token dies with it, as for any ended session.
      await t.dataSource.query(
        `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [sessionId],
      );
      const after = await t.http
        .post('/auth/refresh')
        .send({ refresh_token: last.body.refresh_token as string });
      expect(after.status).toBe(401);
      expect(after.body.type).toBe(`${PROBLEMS}/invalid-refresh-token`);
    });

    it('cannot be refreshed once the administrator who opened it is deleted', async () => {
      const agent = await signUpOperator(t.http, t.dataSource, ['users:impersonate']);
      const user = await signUpAndLogIn(t.http);
      const { sessionId, refreshToken } = await impersonated(user, agent);
      await t.dataSource.query(`DELETE FROM users WHERE id = $1`, [agent.id]);
      expect(await sessionRow(sessionId)).toMatchObject({
        impersonated: true,
        impersonator_id: null,
      });
      const refused = await t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
      expect(refused.status).toBe(401);
    });
  });

  describe('what the user and the audit log see', () => {
    it('audits it in the same request, and the user sees the event and the session, and ends it', async () => {
      const user = await signUpAndLogIn(t.http);
      const { response, accessToken, refreshToken, sessionId } = await impersonated(user);

      const audit = (await auditRowsFor(t.dataSource, user.id)).filter(
        (row) => row.action === 'user.impersonated',
      );
      expect(audit).toEqual([
        expect.objectContaining({
          actor_user_id: operator.id,
          actor_label: operator.username,
          target_type: 'user',
          target_id: user.id,
          reason: 'Ticket 4711: playlist export fails',
          ip_address: expect.any(String),
          request_id: response.headers['x-request-id'],
          after: expect.objectContaining({ session_id: sessionId }),
        }),
      ]);

      const events = await t.http.get('/auth/events').set(bearer(user.accessToken));
      const event = (events.body.events as Record<string, unknown>[]).find(
        (entry) => entry.type === 'impersonated_by_administrator',
      );
      expect(event).toMatchObject({ administrator: null, ip_address: null, user_agent: null });

      const sessions = await t.http.get('/auth/sessions').set(bearer(user.accessToken));
      expect(sessions.status).toBe(200);
      const listed = (sessions.body as Record<string, unknown>[]).find(
        (session) => session.id === sessionId,
      );
      expect(listed).toMatchObject({ impersonated: true, impersonator: null, current: false });
      const own = (sessions.body as Record<string, unknown>[]).find((session) => session.current);
      expect(own).toMatchObject({ impersonated: false, impersonator: null });

      const revoked = await t.http
        .delete(`/auth/sessions/${sessionId}`)
        .set(bearer(user.accessToken));
      expect(revoked.status).toBe(204);
      expect((await t.http.get('/auth/me').set(bearer(accessToken))).status).toBe(401);
      const refresh = await t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
      expect(refresh.status).toBe(401);
    });

    it('names the administrator to the user only with ADMIN_IDENTITY_VISIBLE_TO_USERS', async () => {
      const visible = await createTestApp({ ADMIN_IDENTITY_VISIBLE_TO_USERS: 'true' });
      try {
        const agent = await signUpOperator(visible.http, visible.dataSource, ['users:impersonate']);
        const user = await signUpAndLogIn(visible.http);
        const opened = await visible.http
          .post(`/admin/users/${user.id}/impersonate`)
          .set(bearer(agent.accessToken))
          .send({ reason: 'Ticket 4712' });
        expect(opened.status).toBe(200);
        const sessions = await visible.http.get('/auth/sessions').set(bearer(user.accessToken));
        expect(sessions.body).toContainEqual(
          expect.objectContaining({ impersonated: true, impersonator: agent.username }),
        );
        const events = await visible.http.get('/auth/events').set(bearer(user.accessToken));
        expect(events.body.events).toContainEqual(
          expect.objectContaining({
            type: 'impersonated_by_administrator',
            administrator: agent.username,
          }),
        );
      } finally {
        await visible.close();
      }
    });
  });
});
