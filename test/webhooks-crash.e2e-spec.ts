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
import {
  ensureBuilt,
  startService,
  stopService,
  type ServiceProcess,
} from './faults/service-process.js';
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

  /**
   * The first instance waits up to 20 s for an answer (the receiver holds them until the kill,
   * and the scripted run may take a while), its lease just over that; the restarted one
   * delivers with short timeouts.
   */
  const start = (timeoutSeconds: number) =>
    startService(
      {
        DATABASE_URL: database.url,
        MAIL_OUTBOX_DIR: outboxDir,
        WEBHOOKS_DELIVERY_ENABLED: 'true',
        WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOKS_POLL_INTERVAL_MS: '100',
        WEBHOOKS_TIMEOUT_SECONDS: String(timeoutSeconds),
        WEBHOOKS_LEASE_SECONDS: String(timeoutSeconds + 1),
        WEBHOOKS_RETRY_DELAYS_SECONDS: '1,1,1,1,1,1,1,1,1,1',
      },
      (service) => running.push(service),
    );

  beforeAll(async () => {
    ensureBuilt();
    database = await privateDatabase();
    t = await createTestApp(onPrivateDatabase(database));
    receiver = await startWebhookReceiver();
  }, 300_000);

  afterAll(async () => {
    for (const service of running) await stopService(service);
    await t?.close();
    // Held answers would keep their connections, and the close, waiting.
    receiver?.release();
    await receiver?.close();
    await database?.drop();
  });

  it('delivers every event at least once, exactly once after de-duplication, in order per user, each signed', async () => {
    const first = await start(20);
    const http = request(first.baseUrl);
    const admin = await signUpOperator(http, t.dataSource);
    const created = await http
      .post('/admin/webhooks')
      .set('Authorization', `Bearer ${admin.accessToken}`)
      .send({ url: `${receiver.url}/crash` });
    expect(created.status, created.text).toBe(201);
    const secret = created.body.secret as string;

    // Every delivery is read and left unanswered: at the kill some are surely mid-delivery.
    receiver.hold = true;
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
    // What it sent did arrive; the answers go to nobody.
    receiver.release();
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(leased!.count).toBeGreaterThan(0);
    const undelivered = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM webhook_deliveries WHERE status = 'pending'`,
    );
    expect(undelivered[0]!.count).toBeGreaterThan(0);

    await start(3);
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
    // The last answers' settle UPDATE may still be on its way.
    await expect
      .poll(async () => {
        const [left] = await t.dataSource.query<{ count: number }[]>(
          `SELECT count(*)::int AS count FROM webhook_deliveries WHERE status <> 'delivered'`,
        );
        return left!.count;
      })
      .toBe(0);
  }, 240_000);
});
