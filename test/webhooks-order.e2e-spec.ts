/**
 * Issue #22's "in order per user" across concurrent transactions. A delivery's id comes from a
 * sequence when it is inserted, not when it commits: a revocation that inserted first and
 * committed last was sent after an administrator's change that committed meanwhile. These
 * tests hold transactions open side by side, so they need a server: the embedded database is
 * one session, where transactions cannot interleave.
 */
import { randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import { grantRole } from './factories/roles.factory.js';
import { logIn, signUp, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import { startWebhookReceiver, type TestWebhookReceiver } from './webhook-receiver.js';
import { within } from './within.js';

const onServer = inject('databaseKind') === 'server';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

interface OutboxRow {
  delivery_id: string;
  event_id: string;
  type: string;
  data: { changes?: { username?: string; roles?: string[] } };
}

describe.runIf(onServer)('webhooks in commit order per user (issue #22)', () => {
  let t: TestApp;
  let receiver: TestWebhookReceiver;
  let admin: LoggedInUser;
  let endpointId: string;
  /** A connection of the test's own, holding what the service's transactions wait for. */
  let gate: pg.Client;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    t = await createTestApp({
      WEBHOOKS_DELIVERY_ENABLED: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '50',
      WEBHOOKS_RETRY_DELAYS_SECONDS: '1,1,1,1,1',
    });
    admin = await signUpOperator(t.http, t.dataSource);
    const created = await t.http
      .post('/admin/webhooks')
      .set(bearer(admin.accessToken))
      .send({ url: `${receiver.url}/order` });
    expect(created.status, created.text).toBe(201);
    endpointId = created.body.id as string;
    gate = new pg.Client({ connectionString: inject('databaseUrl') });
    await gate.connect();
  });

  afterAll(async () => {
    // The database is shared: later suites' events must not queue for this endpoint.
    await t?.dataSource.query(`UPDATE webhook_endpoints SET enabled = false WHERE id = $1`, [
      endpointId,
    ]);
    await gate?.end();
    await t?.close();
    await receiver?.close();
  });

  /** The user's events to this suite's endpoint, in the order the worker sends them (id). */
  const outboxFor = (userId: string) =>
    t.dataSource.query<OutboxRow[]>(
      `SELECT d.id AS delivery_id, e.id AS event_id, e.type, e.data FROM webhook_deliveries d
       JOIN webhook_events e ON e.id = d.event_id
       WHERE d.user_id = $1 AND d.endpoint_id = $2 ORDER BY d.id`,
      [userId, endpointId],
    );

  /** What the receiver got for the user, once per webhook-id, in arrival order. */
  const receivedBy = (userId: string) => {
    const seen = new Set<string>();
    return receiver.forUser(userId, '/order').filter(({ id }) => !seen.has(id) && seen.add(id));
  };

  /** A backend of this database waits for one of the outbox's per-user locks (the two-key form). */
  const waitingOnOutbox = async () => {
    const [row] = await t.dataSource.query<[{ waiting: number }]>(
      `SELECT count(*)::int AS waiting FROM pg_locks
       WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return row.waiting > 0;
  };

  it('a revocation that wrote its delivery first but commits last is still sent first: the next change waits for its commit', async () => {
    const user = await signUpAndLogIn(t.http);
    const sessions = await t.http.get('/auth/sessions').set(bearer(user.accessToken));
    const sessionId = (sessions.body as { id: string }[])[0]!.id;
    // The revocation's transaction stops right after writing its delivery (its id taken),
    // until the test opens the gate: it will commit last.
    const gateKey = randomInt(1, 2 ** 31);
    const hold = `hold_${user.id.replaceAll('-', '')}`;
    await t.dataSource.query(
      `CREATE FUNCTION ${hold}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM webhook_events WHERE id = NEW.event_id AND type = 'session.revoked')
         THEN PERFORM pg_advisory_xact_lock_shared(${gateKey}); END IF;
         RETURN NEW;
       END $$`,
    );
    await t.dataSource.query(
      `CREATE TRIGGER ${hold} AFTER INSERT ON webhook_deliveries FOR EACH ROW
       WHEN (NEW.user_id = '${user.id}') EXECUTE FUNCTION ${hold}()`,
    );
    await gate.query('SELECT pg_advisory_lock($1)', [gateKey]);
    try {
      // then(): sent now, settled once its transaction is over.
      const revocation = t.http
        .delete(`/auth/sessions/${sessionId}`)
        .set(bearer(user.accessToken))
        .then((response) => response);
      await within(10_000, async () => {
        const [row] = await t.dataSource.query<[{ held: number }]>(
          `SELECT count(*)::int AS held FROM pg_locks
           WHERE locktype = 'advisory' AND objsubid = 1 AND objid = $1 AND NOT granted`,
          [gateKey],
        );
        return row.held > 0;
      });

      // An administrator's change to the same user, with the revocation still open.
      const username = `order_${randomBytes(4).toString('hex')}`;
      const change = t.http
        .patch(`/admin/users/${user.id}`)
        .set(bearer(admin.accessToken))
        .send({ username })
        .then((response) => response);
      // Either it waits for the revocation's commit (the outbox's lock), or it committed and
      // its delivery, the only one visible for the user, was sent ahead of the revocation's.
      const sentAhead = () => receivedBy(user.id).some(({ type }) => type === 'user.updated');
      await within(10_000, async () => sentAhead() || (await waitingOnOutbox()));
      expect(sentAhead(), 'the change was sent while the revocation was open').toBe(false);

      await gate.query('SELECT pg_advisory_unlock($1)', [gateKey]);
      const [revoked, changed] = await Promise.all([revocation, change]);
      expect(revoked.status, revoked.text).toBe(204);
      expect(changed.status, changed.text).toBe(200);

      await receiver.waitFor(() => receivedBy(user.id).length === 3);
      const expected = ['user.created', 'session.revoked', 'user.updated'];
      expect(receivedBy(user.id).map(({ type }) => type)).toEqual(expected);
      const outbox = await outboxFor(user.id);
      expect(outbox.map(({ type }) => type)).toEqual(expected);
      expect(receivedBy(user.id).map(({ id }) => id)).toEqual(outbox.map((row) => row.event_id));
    } finally {
      await gate.query('SELECT pg_advisory_unlock_all()');
      await t.dataSource.query(`DROP TRIGGER IF EXISTS ${hold} ON webhook_deliveries`);
      await t.dataSource.query(`DROP FUNCTION IF EXISTS ${hold}()`);
    }
  });

  it('a burst of concurrent changes to one user (renames, revocations, role renames) never deadlocks, records every event, and the last one of each kind matches the account', async () => {
    const user = await signUp(t.http);
    const others = [await signUp(t.http), await signUp(t.http)];
    // Seven sessions to end, and one whose token ends them (kept alive throughout).
    for (let i = 0; i < 7; i += 1) await logIn(t.http, user, `burst ${i}`);
    const asUser = bearer((await logIn(t.http, user)).accessToken);
    const listed = await t.http.get('/auth/sessions').set(asUser);
    const sessionIds = (listed.body as { id: string; current: boolean }[])
      .filter(({ current }) => !current)
      .map(({ id }) => id);
    expect(sessionIds).toHaveLength(7);
    // Roles the user and two others hold: a rename records for all three in one statement.
    const tag = randomBytes(3).toString('hex');
    const roles = Array.from({ length: 6 }, (_, i) => `burst-${tag}-${i}`);
    for (const role of roles) {
      await t.dataSource.query(`INSERT INTO roles (name) VALUES ($1)`, [role]);
      for (const holder of [user, ...others]) await grantRole(t.dataSource, holder.id, role);
    }
    const asAdmin = bearer(admin.accessToken);

    const changes = [
      ...Array.from({ length: 7 }, (_, i) =>
        t.http
          .patch(`/admin/users/${user.id}`)
          .set(asAdmin)
          .send({ username: `burst_${tag}_${i}` }),
      ),
      ...sessionIds.map((id) => t.http.delete(`/auth/sessions/${id}`).set(asUser)),
      ...roles.map((role) =>
        t.http
          .patch(`/admin/roles/${role}`)
          .set(asAdmin)
          .send({ name: `${role}-renamed` }),
      ),
    ];
    const responses = await Promise.all(changes);
    // No 503 (a deadlock or a serialization failure): every change went through.
    expect(responses.map(({ status }) => status).sort()).toEqual([
      ...Array(13).fill(200),
      ...Array(7).fill(204),
    ]);

    await receiver.waitFor(() => receivedBy(user.id).length === 21, 30_000);
    const outbox = await outboxFor(user.id);
    expect(outbox.filter(({ type }) => type === 'session.revoked')).toHaveLength(7);
    expect(outbox.filter(({ type }) => type === 'user.updated')).toHaveLength(13);
    expect(receivedBy(user.id).map(({ id }) => id)).toEqual(outbox.map((row) => row.event_id));
    // Each `timestamp` is read just before its commit, under the lock: in that same order.
    const stamps = receivedBy(user.id).map(({ body }) =>
      Date.parse((JSON.parse(body) as { timestamp: string }).timestamp),
    );
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));

    // A receiver applying the events in order ends where the account is.
    const [account] = await t.dataSource.query<[{ username: string; roles: string[] }]>(
      `SELECT u.username, (SELECT array_agg(r.name ORDER BY r.name COLLATE "C")
         FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id) AS roles
       FROM users u WHERE u.id = $1`,
      [user.id],
    );
    const last = (field: 'username' | 'roles') =>
      outbox.filter(({ data }) => data.changes?.[field] !== undefined).at(-1)!.data.changes![field];
    expect(last('username')).toBe(account.username);
    expect(last('roles')).toEqual(account.roles);
    expect(account.roles).toEqual(roles.map((role) => `${role}-renamed`));
    expect(t.logs.some((line) => line.includes('deadlock'))).toBe(false);
  });
});
