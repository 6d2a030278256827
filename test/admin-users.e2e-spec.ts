import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersService } from '../src/users/users.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { auditRowsFor, onlyAdministrators, signUpOperator } from './factories/admin.factory.js';
import { grantRole } from './factories/roles.factory.js';
import {
  logIn,
  signUp,
  signUpAndLogIn,
  type LoggedInUser,
  type SignedUpUser,
} from './factories/user.factory.js';
import { startSmtpServer, tokenIn, type TestSmtpServer } from './smtp-server.js';

interface AdminUserBody {
  id: string;
  email: string;
  username: string;
  is_active: boolean;
  email_verified: boolean;
  disabled_until: string | null;
  roles: string[];
}

describe('admin users API (issue #19)', () => {
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

  const as = (user: { accessToken: string }) => ({ Authorization: `Bearer ${user.accessToken}` });
  const get = (path: string, user: { accessToken: string } = operator) =>
    t.http.get(path).set(as(user));
  const post = (path: string, body: object = {}, user: { accessToken: string } = operator) =>
    t.http
      .post(path)
      .set(as(user))
      .set('X-Request-Id', `req-${randomBytes(4).toString('hex')}`)
      .send(body);
  const patch = (path: string, body: object) => t.http.patch(path).set(as(operator)).send(body);
  const ownEvents = async (user: { accessToken: string }) => {
    const response = await t.http.get('/auth/events').set(as(user));
    expect(response.status).toBe(200);
    return response.body.events as {
      type: string;
      administrator: string | null;
      ip_address: string | null;
      user_agent: string | null;
    }[];
  };
  const row = async (id: string) =>
    (
      await t.dataSource.query<
        {
          is_active: boolean;
          disabled_until: Date | null;
          email: string;
          username: string;
          email_verified: boolean;
        }[]
      >(
        'SELECT is_active, disabled_until, email, username, email_verified FROM users WHERE id = $1',
        [id],
      )
    )[0];
  const liveSessions = async (id: string) =>
    (
      await t.dataSource.query<[{ count: number }]>(
        'SELECT count(*)::int AS count FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
        [id],
      )
    )[0].count;

  describe('access', () => {
    it('answers 401 without a token and 403 forbidden without the permission', async () => {
      expect((await t.http.get('/admin/users')).status).toBe(401);
      const reader = await signUpOperator(t.http, t.dataSource, ['users:read']);
      const refused = await post(
        '/admin/users',
        { email: 'x@example.com', username: 'xyz' },
        reader,
      );
      expect(refused.status).toBe(403);
      expect(refused.body.type).toMatch(/\/forbidden$/);
      expect(refused.body.detail).toContain('users:write');
      expect((await get('/admin/users', reader)).status).toBe(200);
    });
  });

  describe('GET /admin/users', () => {
    const tag = `list${randomBytes(3).toString('hex')}`;
    let listed: SignedUpUser[];
    beforeAll(async () => {
      listed = [];
      for (let index = 0; index < 7; index += 1) {
        listed.push(
          await signUp(t.http, {
            username: `${tag}_${index}`,
            email: `${tag}.${index}@example.com`,
          }),
        );
      }
    });
    const page = async (query: string) => {
      const response = await get(`/admin/users?${query}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body as { users: AdminUserBody[]; next_cursor: string | null };
    };

    it('finds accounts by email or username prefix, ignoring case', async () => {
      const byUsername = await page(`q=${tag.toUpperCase()}_&sort=username&order=asc`);
      expect(byUsername.users.map((user) => user.id)).toEqual(listed.map((user) => user.id));
      const byEmail = await page(`q=${tag}.3@`);
      expect(byEmail.users.map((user) => user.id)).toEqual([listed[3]!.id]);
      // LIKE's wildcards are literal characters in a search.
      expect((await page(`q=${tag.slice(0, 3)}%25`)).users).toEqual([]);
    });

    it.each([
      ['created_at', 'desc'],
      ['created_at', 'asc'],
      ['username', 'desc'],
      ['email', 'asc'],
    ])(
      'pages by %s %s: every row exactly once, though accounts sign up meanwhile',
      async (sort, order) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const body = await page(
            `q=${tag}&sort=${sort}&order=${order}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          );
          seen.push(...body.users.map((user) => user.id));
          cursor = body.next_cursor;
          // A newcomer between pages must not make another row repeat or vanish.
          await signUp(t.http, { username: `${tag}_n${randomBytes(3).toString('hex')}` });
        } while (cursor);
        expect(new Set(seen).size).toBe(seen.length);
        for (const user of listed) expect(seen).toContain(user.id);
      },
    );

    it('filters by active, verified, role and creation time', async () => {
      await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [listed[1]!.id]);
      await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [
        listed[2]!.id,
      ]);
      await grantRole(t.dataSource, listed[4]!.id, 'support');
      const ids = async (query: string) =>
        (await page(`q=${tag}_&limit=100&${query}`)).users.map((user) => user.id);
      expect(await ids('active=false')).toEqual([listed[1]!.id]);
      expect(await ids('verified=true')).toEqual([listed[2]!.id]);
      expect(await ids('role=support')).toEqual([listed[4]!.id]);
      const supportRow = (await page(`q=${tag}_4`)).users[0]!;
      expect(supportRow.roles).toEqual(['support']);
      expect(await ids('created_after=2999-01-01')).toEqual([]);
      expect(await ids(`created_after=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
      expect(
        (await ids(`created_before=${new Date(Date.now() + 60_000).toISOString()}`)).length,
      ).toBeGreaterThanOrEqual(7);
    });

    it('refuses a tampered cursor, or one from another query, with 400 invalid-cursor', async () => {
      const first = await page(`q=${tag}&limit=1`);
      const cursor = first.next_cursor!;
      const [body, signature] = cursor.split('.');
      const payload = JSON.parse(Buffer.from(body!, 'base64url').toString()) as { key: string };
      payload.key = '2000-01-01 00:00:00+00';
      const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
      for (const bad of [forged, `${cursor}x`, 'garbage', `${body}.`]) {
        const response = await get(
          `/admin/users?q=${tag}&limit=1&cursor=${encodeURIComponent(bad)}`,
        );
        expect(response.status, bad).toBe(400);
        expect(response.body.type).toMatch(/\/invalid-cursor$/);
      }
      const otherQuery = await get(
        `/admin/users?q=${tag}&limit=1&sort=email&cursor=${encodeURIComponent(cursor)}`,
      );
      expect(otherQuery.status).toBe(400);
    });

    it.each([
      'limit=0',
      'limit=101',
      'limit=abc',
      'sort=password_hash',
      'order=sideways',
      'active=maybe',
      'created_before=yesterday',
      // Valid ISO 8601 that `new Date()` cannot read: they reached PostgreSQL as 500s.
      'created_before=2030-W01-1',
      'created_after=2030-123',
      'created_before=20300101',
      'created_after=2030-01-01T10',
      'created_before=2030-02-30',
      'q=a%00b',
      'role=' + 'r'.repeat(65),
    ])('refuses %s with 422, never 5xx', async (query) => {
      const response = await get(`/admin/users?${query}`);
      expect(response.status, JSON.stringify(response.body)).toBe(422);
    });
  });

  describe('GET /admin/users/{id}', () => {
    it('shows the account with its roles, active sessions and recent events', async () => {
      const signedUp = await signUp(t.http);
      await grantRole(t.dataSource, signedUp.id, 'support');
      const user = { ...signedUp, ...(await logIn(t.http, signedUp)) };
      const response = await get(`/admin/users/${user.id}`);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: user.id, email: user.email, roles: ['support'] });
      expect(response.body.sessions).toHaveLength(1);
      expect(response.body.recent_events.map((event: { type: string }) => event.type)).toContain(
        'login_succeeded',
      );
      expect(JSON.stringify(response.body)).not.toMatch(/password|\$2[ab]\$/);
    });

    it('answers 404 for an unknown id and 422 for one that is not a UUID', async () => {
      expect((await get(`/admin/users/${randomUUID()}`)).status).toBe(404);
      expect((await get('/admin/users/1%20OR%201=1')).status).toBe(422);
    });
  });

  describe('POST /admin/users', () => {
    it('opens an account, mails a set-password link that works, and audits it', async () => {
      const email = `opened.${randomBytes(4).toString('hex')}@example.com`;
      const response = await post('/admin/users', {
        email,
        username: `opened_${randomBytes(3).toString('hex')}`,
        send_set_password_link: true,
      });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      const id = response.body.id as string;
      const token = tokenIn(await smtp.mailTo(email, /Choose a password/));
      const reset = await t.http
        .post('/auth/reset-password')
        .send({ token, new_password: 'a brand new passphrase' });
      expect(reset.status, JSON.stringify(reset.body)).toBe(200);
      await logIn(t.http, { username: email, password: 'a brand new passphrase', email });
      const [entry] = await auditRowsFor(t.dataSource, id);
      expect(entry).toMatchObject({
        actor_user_id: operator.id,
        actor_label: operator.username,
        action: 'user.created',
        after: { email, username: response.body.username },
        ip_address: '127.0.0.1',
      });
      expect(JSON.stringify(entry)).not.toMatch(/password|\$2[ab]\$/);
    });

    it('refuses a taken email (409) and a bad username (422), leaving no audit entry', async () => {
      const existing = await signUp(t.http);
      const before = await t.dataSource.query<[{ count: number }]>(
        'SELECT count(*)::int AS count FROM audit_entries',
      );
      expect(
        (
          await post('/admin/users', {
            email: existing.email,
            username: `u_${randomBytes(3).toString('hex')}`,
          })
        ).status,
      ).toBe(409);
      expect((await post('/admin/users', { email: 'ok@example.com', username: '..' })).status).toBe(
        422,
      );
      expect(
        (
          await post('/admin/users', {
            email: 'ok@example.com',
            username: 'fine_name',
            send_set_password_link: 'yes',
          })
        ).status,
      ).toBe(422);
      const after = await t.dataSource.query<[{ count: number }]>(
        "SELECT count(*)::int AS count FROM audit_entries WHERE actor_user_id = $1 AND action = $2 AND after->>'email' = $3",
        [operator.id, 'user.created', existing.email],
      );
      expect(after[0].count).toBe(0);
      expect(before[0].count).toBeGreaterThanOrEqual(0);
    });
  });

  describe('PATCH /admin/users/{id}', () => {
    it('changes email and username, recording only the changed fields; the user sees it without who', async () => {
      const user = await signUpAndLogIn(t.http);
      await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [user.id]);
      const email = `moved.${randomBytes(4).toString('hex')}@example.com`;
      const response = await patch(`/admin/users/${user.id}`, {
        email: email.toUpperCase(),
        username: user.username,
      });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(await row(user.id)).toMatchObject({
        email,
        email_verified: false,
        username: user.username,
      });
      await smtp.mailTo(email, /Confirm your email/);
      const entries = await auditRowsFor(t.dataSource, user.id);
      expect(entries.at(-1)).toMatchObject({
        action: 'user.updated',
        before: { email: user.email, email_verified: true },
        after: { email, email_verified: false },
      });
      const [event] = await ownEvents(user);
      expect(event).toMatchObject({
        type: 'account_updated_by_administrator',
        administrator: null,
        ip_address: null,
        user_agent: null,
      });
    });

    it('refuses a username signup would refuse (422) and one already taken (409)', async () => {
      const [user, other] = await Promise.all([signUp(t.http), signUp(t.http)]);
      expect((await patch(`/admin/users/${user.id}`, { username: 'has space' })).status).toBe(422);
      expect(
        (await patch(`/admin/users/${user.id}`, { username: other.username.toUpperCase() })).status,
      ).toBe(409);
      expect((await patch(`/admin/users/${user.id}`, { is_active: 'false' })).status).toBe(422);
      expect((await row(user.id))!.username).toBe(user.username);
    });
  });

  describe('disable and enable', () => {
    it('disabling ends every session, refuses login, and is audited with reason, address and request id', async () => {
      const user = await signUpAndLogIn(t.http);
      const response = await t.http
        .post(`/admin/users/${user.id}/disable`)
        .set(as(operator))
        // The client's own id is only logged beside ours; the audit keeps the service's id.
        .set('X-Request-Id', 'req-disable-1')
        .send({ reason: 'fraud ticket 4711' });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body).toMatchObject({ is_active: false, disabled_until: null });
      expect(await liveSessions(user.id)).toBe(0);
      expect((await t.http.get('/auth/me').set(as(user))).status).toBe(401);
      const login = await t.http
        .post('/auth/login')
        .send({ username_or_email: user.username, password: user.password });
      expect(login.status).toBe(403);
      expect((await auditRowsFor(t.dataSource, user.id)).at(-1)).toMatchObject({
        actor_user_id: operator.id,
        action: 'user.disabled',
        before: { is_active: true },
        after: { is_active: false },
        reason: 'fraud ticket 4711',
        ip_address: '127.0.0.1',
        // The service's own id (issue #18 point 11), never the caller's X-Request-Id.
        request_id: response.headers['x-request-id'],
      });

      const enabled = await post(`/admin/users/${user.id}/enable`);
      expect(enabled.status).toBe(200);
      expect(enabled.body.is_active).toBe(true);
      const again = await logIn(t.http, user);
      const types = (await ownEvents(again)).map((event) => event.type);
      expect(types).toEqual(
        expect.arrayContaining(['disabled_by_administrator', 'enabled_by_administrator']),
      );
    });

    it('a ban with an end lifts by itself: at the next login after it, and by the sweep', async () => {
      const [user, other] = await Promise.all([signUp(t.http), signUp(t.http)]);
      const until = new Date(Date.now() + 1500).toISOString();
      expect(
        (await post(`/admin/users/${user.id}/disable`, { reason: 'cool down', until })).status,
      ).toBe(200);
      expect(
        (await post(`/admin/users/${other.id}/disable`, { reason: 'cool down', until })).status,
      ).toBe(200);
      expect((await row(user.id))!.disabled_until?.toISOString()).toBe(until);
      const early = await t.http
        .post('/auth/login')
        .send({ username_or_email: user.username, password: user.password });
      expect(early.status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await logIn(t.http, user);
      expect(await row(user.id)).toMatchObject({ is_active: true, disabled_until: null });
      expect(await t.app.get(UsersService).liftEndedBans([other.id])).toEqual([other.id]);
      expect((await row(other.id))!.is_active).toBe(true);
      // Each lift audited as enabled by the service itself, once, and shown to the owner.
      expect(await t.app.get(UsersService).liftEndedBans([other.id])).toEqual([]);
      for (const { id } of [user, other]) {
        expect((await auditRowsFor(t.dataSource, id)).slice(1)).toMatchObject([
          {
            actor_user_id: null,
            actor_label: 'system',
            action: 'user.enabled',
            before: { is_active: false, disabled_until: until },
            after: { is_active: true, disabled_until: null },
          },
        ]);
      }
      const again = await logIn(t.http, user);
      const events = await t.http.get('/auth/events').set(as(again));
      expect((events.body.events as { type: string }[]).map(({ type }) => type)).toContain(
        'ban_ended',
      );
    });

    it('refuses an end time in the past, and a disable without a reason (422)', async () => {
      const user = await signUp(t.http);
      const past = new Date(Date.now() - 1000).toISOString();
      expect(
        (await post(`/admin/users/${user.id}/disable`, { reason: 'x', until: past })).status,
      ).toBe(422);
      expect((await post(`/admin/users/${user.id}/disable`, {})).status).toBe(422);
      expect(
        (await post(`/admin/users/${user.id}/disable`, { reason: 'x', until: 'soon' })).status,
      ).toBe(422);
      // Valid ISO 8601 that `new Date()` cannot read: these were RangeError 500s.
      for (const until of ['2030-W01', '2030-W01-1', '2030-123', '20300101', '2030-01-01T10']) {
        const response = await post(`/admin/users/${user.id}/disable`, { reason: 'x', until });
        expect(response.status, until).toBe(422);
        expect(response.body.errors).toEqual([{ field: 'until', message: expect.any(String) }]);
      }
      expect((await row(user.id))!.is_active).toBe(true);
    });

    it('PATCH is_active=false disables as the route does: sessions end', async () => {
      const user = await signUpAndLogIn(t.http);
      expect((await patch(`/admin/users/${user.id}`, { is_active: false })).status).toBe(200);
      expect(await liveSessions(user.id)).toBe(0);
      expect((await auditRowsFor(t.dataSource, user.id)).at(-1)!.action).toBe('user.disabled');
    });

    it('PATCH with is_active=false and a taken username is one transaction: 409 and nothing changed', async () => {
      const [user, other] = await Promise.all([signUpAndLogIn(t.http), signUp(t.http)]);
      const auditBefore = (await auditRowsFor(t.dataSource, user.id)).length;
      const response = await patch(`/admin/users/${user.id}`, {
        is_active: false,
        username: other.username,
      });
      expect(response.status, JSON.stringify(response.body)).toBe(409);
      expect(await row(user.id)).toMatchObject({ is_active: true, username: user.username });
      expect(await liveSessions(user.id)).toBe(1);
      expect(await auditRowsFor(t.dataSource, user.id)).toHaveLength(auditBefore);
    });

    it('PATCH with is_active=false and a new username does both, each audited', async () => {
      const user = await signUpAndLogIn(t.http);
      const username = `renamed_${randomBytes(4).toString('hex')}`;
      const response = await patch(`/admin/users/${user.id}`, { is_active: false, username });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body).toMatchObject({ is_active: false, username });
      expect(await liveSessions(user.id)).toBe(0);
      const actions = (await auditRowsFor(t.dataSource, user.id)).map((entry) => entry.action);
      expect(actions.slice(-2)).toEqual(['user.disabled', 'user.updated']);
    });
  });

  describe('sessions and password reset', () => {
    it('revoke-all ends every session and voids a pending email change, as logout-all does', async () => {
      const user = await signUpAndLogIn(t.http);
      await logIn(t.http, user);
      const change = await t.http
        .post('/auth/change-email')
        .set(as(user))
        .send({
          new_email: `next.${randomBytes(4).toString('hex')}@example.com`,
          password: user.password,
        });
      expect(change.status, JSON.stringify(change.body)).toBe(202);
      const response = await post(`/admin/users/${user.id}/sessions/revoke-all`, {
        reason: 'lost phone',
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ sessions_revoked: 2 });
      expect(await liveSessions(user.id)).toBe(0);
      const [{ count }] = await t.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM account_tokens WHERE user_id = $1 AND purpose = 'change_email' AND used_at IS NULL`,
        [user.id],
      );
      expect(count).toBe(0);
      expect((await auditRowsFor(t.dataSource, user.id)).at(-1)).toMatchObject({
        action: 'user.sessions_revoked',
        after: { sessions_revoked: 2 },
        reason: 'lost phone',
      });
    });

    it('password-reset mails a working link, and the user sees it in their events', async () => {
      const user = await signUpAndLogIn(t.http);
      expect((await post(`/admin/users/${user.id}/password-reset`)).status).toBe(202);
      const token = tokenIn(await smtp.mailTo(user.email, /Reset your password/));
      expect(
        (
          await t.http
            .post('/auth/reset-password')
            .send({ token, new_password: 'another long passphrase' })
        ).status,
      ).toBe(200);
      expect((await auditRowsFor(t.dataSource, user.id)).at(-1)!.action).toBe(
        'user.password_reset_sent',
      );
      const again = await logIn(t.http, { ...user, password: 'another long passphrase' });
      expect((await ownEvents(again)).map((event) => event.type)).toContain(
        'password_reset_sent_by_administrator',
      );
    });

    it('answers 404 for an unknown account on every action', async () => {
      const id = randomUUID();
      for (const path of ['disable', 'enable', 'sessions/revoke-all', 'password-reset']) {
        expect((await post(`/admin/users/${id}/${path}`, { reason: 'x' })).status, path).toBe(404);
      }
      expect((await t.http.delete(`/admin/users/${id}`).set(as(operator))).status).toBe(404);
      expect((await patch(`/admin/users/${id}`, { username: 'whoever' })).status).toBe(404);
    });
  });

  describe('DELETE /admin/users/{id}', () => {
    it('deletes the account; its audit entries stay', async () => {
      const user = await signUpAndLogIn(t.http);
      expect((await t.http.delete(`/admin/users/${user.id}`).set(as(operator))).status).toBe(204);
      expect(await row(user.id)).toBeUndefined();
      expect((await auditRowsFor(t.dataSource, user.id)).at(-1)).toMatchObject({
        action: 'user.deleted',
        before: { email: user.email, username: user.username },
      });
    });
  });
});

describe('admin identity shown to users when configured (ADMIN_IDENTITY_VISIBLE_TO_USERS)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ADMIN_IDENTITY_VISIBLE_TO_USERS: 'true' });
  });
  afterAll(() => t.close());

  it("names the administrator in the user's own events", async () => {
    const operator = await signUpOperator(t.http, t.dataSource);
    const user = await signUpAndLogIn(t.http);
    const response = await t.http
      .post(`/admin/users/${user.id}/sessions/revoke-all`)
      .set('Authorization', `Bearer ${operator.accessToken}`)
      .set('User-Agent', 'admin-console')
      .send({});
    expect(response.status).toBe(200);
    const again = await logIn(t.http, user);
    const events = await t.http
      .get('/auth/events')
      .set('Authorization', `Bearer ${again.accessToken}`);
    const event = (events.body.events as { type: string }[]).find(
      (each) => each.type === 'sessions_ended_by_administrator',
    );
    expect(event).toMatchObject({ administrator: operator.username, user_agent: 'admin-console' });
  });
});

describe('the last administrator (a database of its own: the rule counts every account)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  let operator: LoggedInUser;
  beforeAll(async () => {
    database = await privateDatabase();
    t = await createTestApp(onPrivateDatabase(database));
    operator = await signUpOperator(t.http, t.dataSource);
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const as = (user: { accessToken: string }) => ({ Authorization: `Bearer ${user.accessToken}` });
  const activeAdministrators = async () =>
    (
      await t.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM user_roles ur JOIN users u ON u.id = ur.user_id
         WHERE ur.role_id = (SELECT id FROM roles WHERE name = 'admin') AND u.is_active`,
      )
    )[0].count;

  it('refuses to disable or delete the last active administrator (409), changing nothing', async () => {
    const admin = await signUpAndLogIn(t.http);
    await onlyAdministrators(t.dataSource, admin.id);
    const disabled = await t.http
      .post(`/admin/users/${admin.id}/disable`)
      .set(as(operator))
      .send({ reason: 'oops' });
    expect(disabled.status).toBe(409);
    expect(disabled.body.type).toMatch(/\/last-administrator$/);
    expect((await t.http.delete(`/admin/users/${admin.id}`).set(as(operator))).status).toBe(409);
    const patched = await t.http
      .patch(`/admin/users/${admin.id}`)
      .set(as(operator))
      .send({ is_active: false });
    expect(patched.status).toBe(409);
    expect(await activeAdministrators()).toBe(1);
    expect((await auditRowsFor(t.dataSource, admin.id)).map((entry) => entry.action)).toEqual([]);
  });

  it('the last active administrator cannot delete their own account either (409)', async () => {
    const admin = await signUpAndLogIn(t.http);
    await onlyAdministrators(t.dataSource, admin.id);
    const deleted = await t.http
      .delete('/auth/me')
      .set(as(admin))
      .send({ password: admin.password });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(409);
    expect(deleted.body.type).toMatch(/\/last-administrator$/);
    expect(await activeAdministrators()).toBe(1);
    // Nothing of it happened: the session still works.
    expect((await t.http.get('/auth/me').set(as(admin))).status).toBe(200);

    const second = await signUp(t.http);
    await grantRole(t.dataSource, second.id, 'admin');
    const allowed = await t.http
      .delete('/auth/me')
      .set(as(admin))
      .send({ password: admin.password });
    expect(allowed.status).toBe(204);
    expect(await activeAdministrators()).toBe(1);
  });

  it('two administrators disabling each other at the same moment leave one active', async () => {
    for (let round = 0; round < 3; round += 1) {
      const [firstUser, secondUser] = await Promise.all([signUp(t.http), signUp(t.http)]);
      await onlyAdministrators(t.dataSource, firstUser.id, secondUser.id);
      // Logged in after the grant: a grant in plain SQL reaches a remembered account later.
      const loggedIn = async (user: SignedUpUser) => ({ ...user, ...(await logIn(t.http, user)) });
      const [first, second] = await Promise.all([loggedIn(firstUser), loggedIn(secondUser)]);
      const outcomes = await Promise.all([
        t.http.post(`/admin/users/${second.id}/disable`).set(as(first)).send({ reason: 'race' }),
        t.http.post(`/admin/users/${first.id}/disable`).set(as(second)).send({ reason: 'race' }),
      ]);
      // The loser may also be refused because the winner disabled it first (401).
      expect(outcomes.filter(({ status }) => status === 200)).toHaveLength(1);
      expect(await activeAdministrators()).toBe(1);
    }
  });
});
