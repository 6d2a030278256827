import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MfaService } from '../src/mfa/mfa.service.js';
import { WebhookDeliveryWorker } from '../src/webhooks/webhook-delivery.worker.js';
import { UsersService } from '../src/users/users.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import { logIn, signUp, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import { totpStepsAway } from './totp-reference.js';
import { within } from './within.js';
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
  /** A second instance delivering from the same database throughout. */
  let second: TestApp;
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
    // Closed only after the suite: closing one app of a pair stops the other's repositories
    // ("Driver not Connected"), a test-harness matter outside this suite.
    second = await createTestApp(DELIVERING);
    admin = await signUpOperator(t.http, t.dataSource);
  });

  afterAll(async () => {
    // The database is shared: later suites' events must not queue for these endpoints.
    await t?.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = ANY($1)`, [
      endpoints,
    ]);
    await Promise.all([t?.close(), second?.close()]);
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
      data: { user_id: user.id, changes: { is_active: false } },
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

  it('a change that rolls back sends nothing: its event rolled back with it', async () => {
    await createEndpoint(`${receiver.url}/rollback`);
    const user = await signUpAndLogIn(t.http);
    // Fails the account's deletion after its sessions were revoked, in the same transaction.
    const trigger = `refuse_delete_${user.id.replaceAll('-', '')}`;
    await t.dataSource.query(
      `CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF OLD.id = '${user.id}' THEN RAISE EXCEPTION 'forced failure'; END IF; RETURN OLD; END $$`,
    );
    await t.dataSource.query(
      `CREATE TRIGGER ${trigger} BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION ${trigger}()`,
    );
    try {
      const refused = await t.http
        .delete('/auth/me')
        .set(bearer(user.accessToken))
        .send({ password: user.password });
      expect(refused.status).toBe(500);
    } finally {
      await t.dataSource.query(`DROP TRIGGER ${trigger} ON users`);
      await t.dataSource.query(`DROP FUNCTION ${trigger}()`);
    }
    const deleted = await t.http
      .delete('/auth/me')
      .set(bearer(user.accessToken))
      .send({ password: user.password });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    await receiver.waitFor(() => typesFor(user.id, '/rollback').includes('user.deleted'));
    // One revocation and one deletion: the rolled-back pair never reached the outbox.
    expect(await outboxFor(user.id)).toEqual(['user.created', 'session.revoked', 'user.deleted']);
    expect(typesFor(user.id, '/rollback')).toEqual([
      'user.created',
      'session.revoked',
      'user.deleted',
    ]);
  });

  it('keeps retrying while the receiver is down, then delivers everything in order per user', async () => {
    await createEndpoint(`${receiver.url}/down`, ['user.created', 'user.updated']);
    receiver.mode = 'fail';
    const asAdmin = bearer(admin.accessToken);
    const users = [await signUp(t.http), await signUp(t.http)];
    for (let round = 0; round < 3; round += 1) {
      for (const user of users) {
        const username = `r${round}_${user.username.slice(-10)}`;
        const response = await t.http
          .patch(`/admin/users/${user.id}`)
          .set(asAdmin)
          .send({ username });
        expect(response.status).toBe(200);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const [waiting] = await t.dataSource.query<{ failed_attempts: number }[]>(
      `SELECT max(attempts)::int AS failed_attempts FROM webhook_deliveries
       WHERE user_id = ANY($1) AND endpoint_id = $2 AND status = 'pending'`,
      [users.map(({ id }) => id), endpoints.at(-1)],
    );
    expect(waiting!.failed_attempts).toBeGreaterThanOrEqual(2);
    receiver.mode = 'accept';
    for (const user of users) {
      await receiver.waitFor(() => typesFor(user.id, '/down').length === 4, 20_000);
      expect(typesFor(user.id, '/down')).toEqual([
        'user.created',
        ...Array(3).fill('user.updated'),
      ]);
      const usernames = receiver
        .forUser(user.id, '/down')
        .slice(1)
        .map(({ data }) => (data.changes as { username: string }).username.slice(0, 2));
      expect(usernames).toEqual(['r0', 'r1', 'r2']);
    }
  });

  it('two instances never send one event at the same time, and each exactly once', async () => {
    try {
      await createEndpoint(`${receiver.url}/pair`, ['user.created']);
      receiver.delayMs = 300;
      const users = await Promise.all(Array.from({ length: 12 }, () => signUp(t.http)));
      const ids = new Set(users.map(({ id }) => id));
      const mine = () =>
        receiver.received.filter((r) => r.path === '/pair' && ids.has(r.data.user_id!));
      await receiver.waitFor(() => mine().length >= users.length, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const byId = new Map<string, number>();
      for (const receipt of mine()) byId.set(receipt.id, (byId.get(receipt.id) ?? 0) + 1);
      expect([...byId.values()].every((count) => count === 1)).toBe(true);
      expect(byId.size).toBe(users.length);
    } finally {
      receiver.delayMs = 0;
    }
  });

  it('during a secret rotation both secrets verify; after the overlap only the new one', async () => {
    const { id, secret: oldSecret } = await createEndpoint(`${receiver.url}/rotate`);
    const asAdmin = bearer(admin.accessToken);
    const rotated = await t.http.post(`/admin/webhooks/${id}/rotate-secret`).set(asAdmin);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previous_secret_expires_at as string)).toBeGreaterThan(
      Date.now() + 23 * 3600_000,
    );
    const test = await t.http.post(`/admin/webhooks/${id}/test`).set(asAdmin);
    expect(test.status).toBe(202);
    const atPath = () => receiver.received.filter((r) => r.path === '/rotate');
    await receiver.waitFor(() => atPath().length === 1);
    expect(atPath()[0]!.type).toBe('webhook.test');
    expect(verifiesWith(atPath()[0]!, oldSecret)).toBe(true);
    expect(verifiesWith(atPath()[0]!, newSecret)).toBe(true);
    expect(verifiesBySpecification(atPath()[0]!, oldSecret)).toBe(true);

    await t.dataSource.query(
      `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    await t.http.post(`/admin/webhooks/${id}/test`).set(asAdmin).expect(202);
    await receiver.waitFor(() => atPath().length === 2);
    expect(verifiesWith(atPath()[1]!, newSecret)).toBe(true);
    expect(verifiesWith(atPath()[1]!, oldSecret)).toBe(false);
    // Neither secret is ever listed or audited.
    const listed = await t.http.get('/admin/webhooks').set(asAdmin);
    const audit = await t.dataSource.query(
      `SELECT before, after FROM audit_entries WHERE target_id = $1`,
      [id],
    );
    for (const text of [JSON.stringify(listed.body), JSON.stringify(audit)]) {
      expect(text).not.toContain(oldSecret.slice(6));
      expect(text).not.toContain(newSecret.slice(6));
    }
  });

  it('follows no redirect: a 3xx is a failed attempt, the target hears nothing', async () => {
    const { id } = await createEndpoint(`${receiver.url}/redirect`);
    receiver.mode = 'redirect';
    receiver.redirectTo = `${receiver.url}/redirected`;
    try {
      await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(admin.accessToken)).expect(202);
      const deliveries = async () =>
        (await t.http.get(`/admin/webhooks/${id}/deliveries`).set(bearer(admin.accessToken)))
          .body as {
          attempts: number;
          response_status: number | null;
          last_error: string | null;
          status: string;
        }[];
      const deadline = Date.now() + 10_000;
      while ((await deliveries())[0]?.attempts !== 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [delivery] = await deliveries();
      expect(delivery).toMatchObject({
        status: 'pending',
        response_status: 302,
        last_error: 'redirect not followed',
      });
      expect(receiver.received.filter((r) => r.path === '/redirected')).toEqual([]);
    } finally {
      receiver.mode = 'accept';
    }
  });

  it('lists deliveries with status and response code, and redelivers one with its webhook-id', async () => {
    const { id } = await createEndpoint(`${receiver.url}/redeliver`);
    const asAdmin = bearer(admin.accessToken);
    const queued = await t.http.post(`/admin/webhooks/${id}/test`).set(asAdmin);
    const atPath = () => receiver.received.filter((r) => r.path === '/redeliver');
    await receiver.waitFor(() => atPath().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const listed = await t.http
      .get(`/admin/webhooks/${id}/deliveries?status=delivered`)
      .set(asAdmin);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      expect.objectContaining({
        id: queued.body.id,
        event_type: 'webhook.test',
        status: 'delivered',
        attempts: 1,
        response_status: 204,
        last_error: null,
      }),
    ]);
    const again = await t.http
      .post(`/admin/webhooks/${id}/deliveries/${queued.body.id as string}/redeliver`)
      .set(asAdmin);
    expect(again.status).toBe(202);
    await receiver.waitFor(() => atPath().length === 2);
    expect(atPath()[1]!.id).toBe(atPath()[0]!.id);
    const actions = await t.dataSource.query<{ action: string; actor_label: string }[]>(
      `SELECT action, actor_label FROM audit_entries WHERE target_id = $1 ORDER BY id`,
      [id],
    );
    expect(actions.map(({ action }) => action)).toEqual([
      'webhook.created',
      'webhook.test_sent',
      'webhook.redelivered',
    ]);
    expect(
      (await t.http.post(`/admin/webhooks/${id}/deliveries/999999999/redeliver`).set(asAdmin))
        .status,
    ).toBe(404);
  });

  it('disables an endpoint that has failed for a day, audited as done by system', async () => {
    const { id } = await createEndpoint(`${receiver.url}/failing`);
    await t.dataSource.query(
      `UPDATE webhook_endpoints SET failing_since = now() - interval '25 hours' WHERE id = $1`,
      [id],
    );
    receiver.mode = 'fail';
    try {
      await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(admin.accessToken)).expect(202);
      const endpoint = async () =>
        (await t.http.get(`/admin/webhooks/${id}`).set(bearer(admin.accessToken))).body as {
          enabled: boolean;
          disabled_reason: string | null;
        };
      const deadline = Date.now() + 10_000;
      while ((await endpoint()).enabled && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await endpoint()).toMatchObject({ enabled: false, disabled_reason: 'failing' });
      const [entry] = await t.dataSource.query<{ action: string; actor_label: string }[]>(
        `SELECT action, actor_label, actor_user_id FROM audit_entries
         WHERE target_id = $1 AND action = 'webhook.disabled'`,
        [id],
      );
      expect(entry).toEqual({
        action: 'webhook.disabled',
        actor_label: 'system',
        actor_user_id: null,
      });
    } finally {
      receiver.mode = 'accept';
    }
    // Enabled again by an administrator, the waiting delivery goes out.
    const enabled = await t.http
      .patch(`/admin/webhooks/${id}`)
      .set(bearer(admin.accessToken))
      .send({ enabled: true });
    expect(enabled.body).toMatchObject({
      enabled: true,
      disabled_reason: null,
      failing_since: null,
    });
    await receiver.waitFor(() => receiver.received.some((r) => r.path === '/failing'));
  });

  it('a delivery whose instance died mid-send is sent again once its lease runs out', async () => {
    const { id } = await createEndpoint(`${receiver.url}/lease`, ['user.created']);
    // Stands for an instance killed after claiming: attempts counted, lease held, no answer.
    await t.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [id]);
    await t.dataSource.query(
      `INSERT INTO webhook_deliveries (event_id, endpoint_id, user_id, attempts, locked_until)
       SELECT e.id, $1, e.user_id, 1, now() + interval '2 seconds'
       FROM webhook_events e WHERE e.type = 'user.created' ORDER BY e.occurred_at DESC LIMIT 1
       RETURNING user_id`,
      [id],
    );
    await t.dataSource.query(`UPDATE webhook_endpoints SET enabled = true WHERE id = $1`, [id]);
    const atPath = () => receiver.received.filter((r) => r.path === '/lease');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(atPath()).toEqual([]);
    await receiver.waitFor(() => atPath().length === 1, 10_000);
    // The row is marked after the receiver's answer reaches the worker, not when it is sent.
    const delivery = () =>
      t.dataSource.query<{ status: string; attempts: number }[]>(
        `SELECT status, attempts FROM webhook_deliveries WHERE endpoint_id = $1`,
        [id],
      );
    await within(5_000, async () => (await delivery())[0]?.status === 'delivered');
    expect(await delivery()).toEqual([{ status: 'delivered', attempts: 2 }]);
  });

  /** The `changes` of a user's `user.updated` events, as the outbox holds them. */
  const recordedChanges = async (userId: string) =>
    (
      await t.dataSource.query<{ changes: unknown }[]>(
        `SELECT data->'changes' AS changes FROM webhook_events
         WHERE user_id = $1 AND type = 'user.updated'`,
        [userId],
      )
    ).map(({ changes }) => changes);

  it('a role renamed, then deleted with reassign_to, records user.updated for every holder', async () => {
    const asAdmin = bearer(admin.accessToken);
    const name = `wh-role-${Date.now().toString(36)}`;
    await t.http.post('/admin/roles').set(asAdmin).send({ name, permissions: [] }).expect(201);
    const holders = [await signUp(t.http), await signUp(t.http)];
    for (const holder of holders) {
      await t.http
        .put(`/admin/users/${holder.id}/roles`)
        .set(asAdmin)
        .send({ roles: [name] })
        .expect(200);
    }
    const renamed = `${name}-renamed`;
    await t.http.patch(`/admin/roles/${name}`).set(asAdmin).send({ name: renamed }).expect(200);
    await t.http.delete(`/admin/roles/${renamed}?reassign_to=support`).set(asAdmin).expect(204);
    for (const holder of holders) {
      const changes = await recordedChanges(holder.id);
      expect(changes).toHaveLength(3);
      expect(changes).toEqual(
        expect.arrayContaining([{ roles: [name] }, { roles: [renamed] }, { roles: ['support'] }]),
      );
    }
  });

  it('a user deleted twice at once records user.deleted once', async () => {
    const user = await signUp(t.http);
    const users = t.app.get(UsersService);
    await Promise.all([users.delete(user.id), users.delete(user.id)]);
    const [row] = await t.dataSource.query<{ deleted: number }[]>(
      `SELECT count(*)::int AS deleted FROM webhook_events
       WHERE user_id = $1 AND type = 'user.deleted'`,
      [user.id],
    );
    expect(row!.deleted).toBe(1);
  });

  it('refuses a URL that validates but does not parse (422), at creation and update', async () => {
    const asAdmin = bearer(admin.accessToken);
    const url = 'http://[fe80::1%eth0]/hook';
    const created = await t.http.post('/admin/webhooks').set(asAdmin).send({ url });
    expect(created.status, created.text).toBe(422);
    expect(created.text).not.toContain('whsec_');
    const { id } = await createEndpoint(`${receiver.url}/unparsable`, ['user.deleted']);
    const updated = await t.http.patch(`/admin/webhooks/${id}`).set(asAdmin).send({ url });
    expect(updated.status, updated.text).toBe(422);
  });

  it('a stored URL that does not parse is a failed attempt: its lease is released, never held', async () => {
    const { id } = await createEndpoint(`${receiver.url}/stuck`, ['user.deleted']);
    // Stands for a row written before URLs were parsed at creation.
    await t.dataSource.query(`UPDATE webhook_endpoints SET url = $2 WHERE id = $1`, [
      id,
      'http://[fe80::1%eth0]/hook',
    ]);
    await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(admin.accessToken)).expect(202);
    const delivery = async () =>
      (
        await t.dataSource.query<
          { attempts: number; locked_until: Date | null; last_error: string | null }[]
        >(
          `SELECT attempts, locked_until, last_error FROM webhook_deliveries WHERE endpoint_id = $1`,
          [id],
        )
      )[0];
    const deadline = Date.now() + 10_000;
    while (!(await delivery())?.last_error && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await delivery()).toMatchObject({ locked_until: null, last_error: expect.any(String) });
  });

  /** How many `type` events the outbox holds for the user. */
  const countOf = async (userId: string, type: string) =>
    (
      await t.dataSource.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM webhook_events WHERE user_id = $1 AND type = $2`,
        [userId, type],
      )
    )[0]!.count;

  it('two-step verification removed twice at once records mfa.disabled once', async () => {
    const user = await signUpAndLogIn(t.http);
    const asUser = bearer(user.accessToken);
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(asUser)
      .send({ password: user.password });
    await t.http
      .post('/auth/mfa/totp/confirm')
      .set(asUser)
      .send({ code: totpStepsAway(setup.body.secret as string, 0) })
      .expect(200);
    const mfa = t.app.get(MfaService);
    await Promise.all([mfa.reset(user.id), mfa.reset(user.id)]);
    expect(await countOf(user.id, 'mfa.disabled')).toBe(1);
  });

  it('an administrator change that moves nothing records no user.updated; one that does names only what moved', async () => {
    const asAdmin = bearer(admin.accessToken);
    const user = await signUp(t.http);
    await t.http
      .patch(`/admin/users/${user.id}`)
      .set(asAdmin)
      .send({ email: user.email })
      .expect(200);
    for (let time = 0; time < 2; time += 1) {
      await t.http
        .post(`/admin/users/${user.id}/disable`)
        .set(asAdmin)
        .send({ reason: 'twice' })
        .expect(200);
    }
    const username = `moved_${user.username.slice(-8)}`;
    await t.http
      .patch(`/admin/users/${user.id}`)
      .set(asAdmin)
      .send({ email: user.email, username })
      .expect(200);
    expect(await recordedChanges(user.id)).toEqual(
      expect.arrayContaining([{ is_active: false }, { username }]),
    );
    expect(await countOf(user.id, 'user.updated')).toBe(2);
  });

  it("a disabled endpoint's deliveries past the retention fail, and their events are pruned", async () => {
    const { id } = await createEndpoint(`${receiver.url}/disabled`, ['user.deleted']);
    await t.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [id]);
    await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(admin.accessToken)).expect(202);
    await t.dataSource.query(
      `UPDATE webhook_events SET occurred_at = now() - interval '31 days'
       WHERE id IN (SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $1)`,
      [id],
    );
    await t.app.get(WebhookDeliveryWorker).prune();
    const left = await t.dataSource.query(
      `SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1`,
      [id],
    );
    expect(left).toEqual([]);
  });

  it('needs webhooks:read to list and webhooks:write to change', async () => {
    const reader = await signUpOperator(t.http, t.dataSource, ['webhooks:read']);
    expect((await t.http.get('/admin/webhooks').set(bearer(reader.accessToken))).status).toBe(200);
    const refused = await t.http
      .post('/admin/webhooks')
      .set(bearer(reader.accessToken))
      .send({ url: `${receiver.url}/nope` });
    expect(refused.status).toBe(403);
    const nobody = await signUpAndLogIn(t.http);
    expect((await t.http.get('/admin/webhooks').set(bearer(nobody.accessToken))).status).toBe(403);
  });
});
