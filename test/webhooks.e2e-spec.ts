import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import { logIn, signUp, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import { totpStepsAway } from './totp-reference.js';
import {
  startWebhookReceiver,
  verifiesBySpecification,
  verifiesWith,
  type TestWebhookReceiver,
} from './webhook-receiver.js';

/** Quick retries and polling, so a receiver that comes back is reached within seconds. */
export const DELIVERING = {
  WEBHOOKS_DELIVERY_ENABLED: 'true',
  WEBHOOKS_POLL_INTERVAL_MS: '100',
  WEBHOOKS_RETRY_DELAYS_SECONDS: '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1',
};

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('webhooks (issue #22)', () => {
  let t: TestApp;
  let receiver: TestWebhookReceiver;
  let admin: LoggedInUser;
  const endpoints: string[] = [];

  async function createEndpoint(url: string, events?: string[]) {
    const response = await t.http
      .post('/admin/webhooks')
      .set(bearer(admin.accessToken))
      .send({ url, ...(events && { events }) });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    endpoints.push(response.body.id as string);
    return response.body as { id: string; secret: string };
  }

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await createTestApp(DELIVERING);
    admin = await signUpOperator(t.http, t.dataSource);
  });

  afterAll(async () => {
    // The database is shared: later suites' events must not queue for these endpoints.
    await t?.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = ANY($1)`, [
      endpoints,
    ]);
    await t?.close();
    await receiver?.close();
  });

  /** The types a user's events arrived in at `path`, de-duplicated by webhook-id. */
  const typesFor = (userId: string, path: string) => {
    const seen = new Set<string>();
    return receiver
      .forUser(userId, path)
      .filter(({ id }) => !seen.has(id) && seen.add(id))
      .map(({ type }) => type);
  };

  /** The user's events as the outbox holds them, oldest first. */
  const outboxFor = async (userId: string) =>
    (
      await t.dataSource.query<{ id: string; type: string }[]>(
        `SELECT e.id, e.type FROM webhook_events e
         JOIN webhook_deliveries d ON d.event_id = e.id WHERE e.user_id = $1 AND d.endpoint_id = $2
         ORDER BY d.id`,
        [userId, endpoints[endpoints.length - 1]],
      )
    ).map(({ type }) => type);

  it('delivers user.created signed per Standard Webhooks, verified independently', async () => {
    const { secret } = await createEndpoint(`${receiver.url}/created`, ['user.created']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const user = await signUp(t.http);
    await receiver.waitFor(() => receiver.forUser(user.id).length > 0);
    const [receipt] = receiver.forUser(user.id);
    expect(receipt!.type).toBe('user.created');
    expect(receipt!.data).toEqual({
      user_id: user.id,
      email: user.email,
      username: user.username,
      email_verified: false,
    });
    expect(verifiesWith(receipt!, secret)).toBe(true);
    expect(verifiesBySpecification(receipt!, secret)).toBe(true);
    expect(Math.abs(Number(receipt!.timestamp) * 1000 - Date.now())).toBeLessThan(60_000);
    expect(JSON.parse(receipt!.body)).toMatchObject({
      type: 'user.created',
      timestamp: expect.any(String),
    });
  });

  it('delivers every event type, each verified, in the order of the changes', async () => {
    const { secret } = await createEndpoint(`${receiver.url}/all`);
    const user = await signUpAndLogIn(t.http);
    const asUser = bearer(user.accessToken);
    // Two-step verification on, then off (mfa.enabled, mfa.disabled + other sessions revoked).
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(asUser)
      .send({ password: user.password });
    const code = (steps: number) => totpStepsAway(setup.body.secret as string, steps);
    expect(
      (
        await t.http
          .post('/auth/mfa/totp/confirm')
          .set(asUser)
          .send({ code: code(-1) })
      ).status,
    ).toBe(200);
    const off = await t.http
      .post('/auth/mfa/totp/disable')
      .set(asUser)
      .send({ password: user.password, code: code(0) });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    // A second session, revoked by the user (session.revoked, one).
    const second = await logIn(t.http, user);
    const sessions = await t.http.get('/auth/sessions').set(asUser);
    const secondId = (sessions.body as { id: string; current: boolean }[]).find(
      (s) => !s.current,
    )!.id;
    expect((await t.http.delete(`/auth/sessions/${secondId}`).set(asUser)).status).toBe(204);
    expect(second.accessToken).toBeTruthy();
    // The password (password.changed, then the other sessions: none left, so no event).
    const newPassword = `${user.password} and more`;
    const changed = await t.http
      .post('/auth/change-password')
      .set(asUser)
      .send({ current_password: user.password, new_password: newPassword });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    // An administrator: username, roles, disable (user.updated + session.revoked all), enable.
    const asAdmin = bearer(admin.accessToken);
    const username = `renamed_${user.username.slice(-8)}`;
    expect(
      (await t.http.patch(`/admin/users/${user.id}`).set(asAdmin).send({ username })).status,
    ).toBe(200);
    expect(
      (
        await t.http
          .put(`/admin/users/${user.id}/roles`)
          .set(asAdmin)
          .send({ roles: ['support'] })
      ).status,
    ).toBe(200);
    expect(
      (
        await t.http
          .post(`/admin/users/${user.id}/disable`)
          .set(asAdmin)
          .send({ reason: 'webhook test' })
      ).status,
    ).toBe(200);
    expect((await t.http.post(`/admin/users/${user.id}/enable`).set(asAdmin).send({})).status).toBe(
      200,
    );
    expect((await t.http.delete(`/admin/users/${user.id}`).set(asAdmin)).status).toBe(204);

    const expected = [
      'user.created',
      'mfa.enabled',
      'mfa.disabled',
      'session.revoked',
      'password.changed',
      'user.updated',
      'user.updated',
      'user.updated',
      'session.revoked',
      'user.updated',
      'user.deleted',
    ];
    await receiver
      .waitFor(() => typesFor(user.id, '/all').length >= expected.length)
      .catch(() => {});
    expect(await outboxFor(user.id)).toEqual(expected);
    expect(typesFor(user.id, '/all')).toEqual(expected);
    for (const receipt of receiver.forUser(user.id, '/all')) {
      expect(verifiesWith(receipt, secret)).toBe(true);
      expect(verifiesBySpecification(receipt, secret)).toBe(true);
      for (const secretValue of [user.password, newPassword, setup.body.secret as string, '$2']) {
        expect(receipt.body).not.toContain(secretValue);
      }
    }
    const data = receiver.forUser(user.id, '/all').map(({ type, data }) => ({ type, data }));
    expect(data).toContainEqual({
      type: 'user.updated',
      data: { user_id: user.id, changes: { username } },
    });
    expect(data).toContainEqual({
      type: 'user.updated',
      data: { user_id: user.id, changes: { roles: ['support'] } },
    });
    expect(data).toContainEqual({
      type: 'user.updated',
      data: { user_id: user.id, changes: { is_active: false, disabled_until: null } },
    });
    expect(data).toContainEqual({
      type: 'session.revoked',
      data: { user_id: user.id, session_ids: [secondId], scope: 'one', reason: 'revoked_by_user' },
    });
    expect(data).toContainEqual({
      type: 'mfa.enabled',
      data: { user_id: user.id, method: 'totp' },
    });
    expect(data).toContainEqual({ type: 'user.deleted', data: { user_id: user.id } });
  });
});
