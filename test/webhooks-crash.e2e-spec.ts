/**
 * Issue #22's proof: the service SIGKILLed while deliveries are in flight, then restarted on
 * the same database, loses no event. The production build runs as a process of its own on the
 * run's PostgreSQL server: the embedded database lives inside the process it would kill, so
 * this suite needs a server (as test/faults does).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { ensureBuilt, startService, type ServiceProcess } from './faults/service-process.js';
import { startWebhookReceiver, type TestWebhookReceiver } from './webhook-receiver.js';
import {
  deduplicated,
  expectAllSigned,
  runScriptedUser,
  SCRIPTED_EVENTS,
} from './webhook-script.js';

const onServer = inject('databaseKind') === 'server';
const USERS = 4;

describe.runIf(onServer)('webhooks with the service SIGKILLed mid-delivery (issue #22)', () => {
  let database: PrivateDatabase;
  /** In the test process, delivering nothing: migrates the database and reads it. */
  let t: TestApp;
  let receiver: TestWebhookReceiver;
  const running: ServiceProcess[] = [];
  const outboxDir = join(tmpdir(), `whazz-webhook-crash-${process.pid}-${Date.now()}`);

  /** A lease just over the timeout: the killed instance's claims run out within seconds. */
  const start = async () => {
    const service = await startService({
      DATABASE_URL: database.url,
      MAIL_OUTBOX_DIR: outboxDir,
      WEBHOOKS_DELIVERY_ENABLED: 'true',
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '100',
      WEBHOOKS_TIMEOUT_SECONDS: '3',
      WEBHOOKS_LEASE_SECONDS: '4',
      WEBHOOKS_RETRY_DELAYS_SECONDS: '1,1,1,1,1,1,1,1,1,1',
    });
    running.push(service);
    return service;
  };

  beforeAll(async () => {
    ensureBuilt();
    database = await privateDatabase();
    t = await createTestApp(onPrivateDatabase(database));
    receiver = await startWebhookReceiver();
  }, 300_000);

  afterAll(async () => {
    for (const service of running) {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    }
    await t?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('delivers every event at least once, exactly once after de-duplication, in order per user, each signed', async () => {
    const first = await start();
    const http = request(first.baseUrl);
    const admin = await signUpOperator(http, t.dataSource);
    const created = await http
      .post('/admin/webhooks')
      .set('Authorization', `Bearer ${admin.accessToken}`)
      .send({ url: `${receiver.url}/crash` });
    expect(created.status, created.text).toBe(201);
    const secret = created.body.secret as string;

    // A slow receiver: each delivery is in flight for a second and a half.
    receiver.delayMs = 1500;
    const users = await Promise.all(
      Array.from({ length: USERS }, () => runScriptedUser(http, admin.accessToken, outboxDir)),
    );
    await receiver.waitFor(() => receiver.inFlight > 0, 10_000);
    const [leased] = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM webhook_deliveries
       WHERE status = 'pending' AND locked_until > now()`,
    );
    const inFlightAtKill = receiver.inFlight;
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(leased!.count).toBeGreaterThan(0);
    const undelivered = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM webhook_deliveries WHERE status = 'pending'`,
    );
    expect(undelivered[0]!.count).toBeGreaterThan(0);

    await start();
    await receiver.waitFor(
      () =>
        users.every((id) => deduplicated(receiver.received, id).length >= SCRIPTED_EVENTS.length),
      120_000,
    );
    await receiver.waitFor(() => receiver.inFlight === 0, 10_000);
    for (const id of users) {
      const outbox = await t.dataSource.query<{ id: string; type: string; status: string }[]>(
        `SELECT e.id, e.type, d.status FROM webhook_events e
         JOIN webhook_deliveries d ON d.event_id = e.id WHERE e.user_id = $1 ORDER BY d.id`,
        [id],
      );
      expect(outbox.map(({ type }) => type)).toEqual(SCRIPTED_EVENTS);
      const arrived = deduplicated(receiver.received, id);
      expect(arrived.map(({ id: eventId }) => eventId)).toEqual(outbox.map(({ id }) => id));
    }
    expectAllSigned(receiver.received, secret);
    // The deliveries in flight at the kill were answered to nobody, so sent again: at least once.
    expect(receiver.received.length).toBeGreaterThan(
      new Set(receiver.received.map((r) => r.id)).size,
    );
    const [left] = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM webhook_deliveries WHERE status <> 'delivered'`,
    );
    expect(left!.count).toBe(0);
  }, 240_000);
});
