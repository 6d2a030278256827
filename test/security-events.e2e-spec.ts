import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { logIn, signUp, signUpAndLogIn } from './factories/user.factory.js';

interface EventBody {
  id: string;
  type: string;
  reason: string | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: string;
}

describe('the security event log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const events = async (accessToken: string, query = '') => {
    const response = await t.http
      .get(`/auth/events${query}`)
      .set('Authorization', `Bearer ${accessToken}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { events: EventBody[]; next_cursor: string | null };
  };

  it("lists the user's own events newest first, with address, User-Agent and request id", async () => {
    const user = await signUp(t.http);
    const failed = await t.http
      .post('/auth/login')
      .set('User-Agent', 'stolen-laptop')
      .set('X-Request-Id', 'req-failed-login-1')
      .send({ username_or_email: user.email, password: 'wrong password' });
    expect(failed.status).toBe(401);
    const session = await logIn(t.http, user, 'my-phone');
    const other = await logIn(t.http, user, 'my-tablet');
    const rotated = await t.http.post('/auth/refresh').send({ refresh_token: other.refreshToken });
    await t.http.post('/auth/refresh').send({ refresh_token: rotated.body.refresh_token });
    // The rotated token again, its successor used: theft, the session is ended.
    await t.http.post('/auth/refresh').send({ refresh_token: other.refreshToken });
    await t.http.post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`);
    const last = await logIn(t.http, user);
    await t.http.post('/auth/logout-all').set('Authorization', `Bearer ${last.accessToken}`);
    const reader = await logIn(t.http, user);

    const { events: listed } = await events(reader.accessToken);
    expect(listed.map((event) => event.type)).toEqual([
      'login_succeeded',
      'logout_all',
      'login_succeeded',
      'logout',
      'refresh_token_reused',
      'login_succeeded',
      'login_succeeded',
      'login_failed',
      'signup',
    ]);
    const failure = listed.find((event) => event.type === 'login_failed')!;
    expect(failure).toMatchObject({
      reason: 'wrong_password',
      ip_address: expect.stringMatching(/127\.0\.0\.1$/),
      user_agent: 'stolen-laptop',
      // The service's own id, as its answer said; never the id the client chose.
      request_id: failed.headers['x-request-id'],
    });
    expect(failed.headers['x-request-id']).not.toBe('req-failed-login-1');
    expect(Date.parse(failure.created_at)).not.toBeNaN();
  });

  it('pages with a cursor and shows nobody else’s events', async () => {
    const user = await signUpAndLogIn(t.http);
    await logIn(t.http, user);
    await logIn(t.http, user);
    const stranger = await signUpAndLogIn(t.http);

    const first = await events(user.accessToken, '?limit=2');
    expect(first.events).toHaveLength(2);
    expect(first.next_cursor).toBe(first.events[1]!.id);
    const second = await events(user.accessToken, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.events.map((event) => event.type)).toEqual(['login_succeeded', 'signup']);
    expect(second.next_cursor).toBeNull();

    const theirs = await events(stranger.accessToken);
    expect(theirs.events.map((event) => event.type)).toEqual(['login_succeeded', 'signup']);
  });

  it('refuses a bad page size or cursor with 422 naming the parameter', async () => {
    const user = await signUpAndLogIn(t.http);
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=1%27%20OR%201=1', 'cursor'],
      ['?cursor=-5', 'cursor'],
      ['?extra=1', 'extra'],
    ] as const) {
      const response = await t.http
        .get(`/auth/events${query}`)
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(response.status, query).toBe(422);
      expect(response.body.errors[0].field, query).toBe(field);
    }
  });

  it('needs a bearer token', async () => {
    expect((await t.http.get('/auth/events')).status).toBe(401);
  });

  it('is append-only in the database itself', async () => {
    const user = await signUp(t.http);
    await expect(
      t.dataSource.query(`UPDATE security_events SET type = 'logout' WHERE user_id = $1`, [
        user.id,
      ]),
    ).rejects.toThrow(/append-only/);
  });

  it('never fails the request when an event cannot be written, and logs it without secrets', async () => {
    const user = await signUp(t.http);
    // Refuses only this test's rows, so parallel test files are unaffected.
    await t.dataSource.query(
      `ALTER TABLE security_events ADD CONSTRAINT test_refuse_event CHECK (user_agent IS DISTINCT FROM 'event-breaker') NOT VALID`,
    );
    try {
      const response = await t.http
        .post('/auth/login')
        .set('User-Agent', 'event-breaker')
        .send({ username_or_email: user.username, password: user.password });
      expect(response.status).toBe(200);
    } finally {
      await t.dataSource.query(`ALTER TABLE security_events DROP CONSTRAINT test_refuse_event`);
    }
    const lost = t.logs.filter((line) => line.includes('could not record a security event'));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toContain('login_succeeded');
    expect(lost[0]).not.toContain(user.password);
    expect(lost[0]).not.toContain('$2');
  });

  it('deletes events older than the retention', async () => {
    const { SecurityEventsService } =
      await import('../src/security-events/security-events.service.js');
    const user = await signUp(t.http);
    await t.dataSource.query(
      `INSERT INTO security_events (type, user_id, created_at) VALUES ('logout', $1, now() - interval '200 days')`,
      [user.id],
    );
    const pruned = await t.app.get(SecurityEventsService).pruneOlderThanRetention();
    expect(pruned).toBeGreaterThanOrEqual(1);
    const [{ count }] = await t.dataSource.query<[{ count: number }]>(
      `SELECT count(*)::int AS count FROM security_events WHERE user_id = $1`,
      [user.id],
    );
    expect(count).toBe(1);
  });
});
