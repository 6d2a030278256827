import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { startWebhookReceiver, type TestWebhookReceiver } from './webhook-receiver.js';
import {
  deduplicated,
  expectAllSigned,
  runScriptedUser,
  SCRIPTED_EVENTS,
} from './webhook-script.js';

const OUTAGE_MS = 61_000;

/**
 * Issue #22's proof: the receiver down for a full minute loses nothing. A database of its own,
 * so no other suite's events queue behind these, and the retries come on a short schedule
 * (2 s to a minute) that still spans the outage.
 */
describe('webhooks with the receiver down for a minute (issue #22)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  let receiver: TestWebhookReceiver;
  const outboxDir = join(tmpdir(), `whazz-webhook-outage-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    database = await privateDatabase();
    receiver = await startWebhookReceiver();
    t = await createTestApp({
      ...onPrivateDatabase(database),
      MAIL_OUTBOX_DIR: outboxDir,
      WEBHOOKS_DELIVERY_ENABLED: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '100',
      WEBHOOKS_RETRY_DELAYS_SECONDS: '2,5,10,20,30,60',
    });
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('delivers every event of a scripted run exactly once, in order per user, each signed', async () => {
    const admin = await signUpOperator(t.http, t.dataSource);
    const created = await t.http
      .post('/admin/webhooks')
      .set('Authorization', `Bearer ${admin.accessToken}`)
      .send({ url: `${receiver.url}/outage` });
    expect(created.status, created.text).toBe(201);
    const secret = created.body.secret as string;

    await receiver.goDown();
    const downAt = Date.now();
    const users = await Promise.all(
      Array.from({ length: 3 }, () => runScriptedUser(t.http, admin.accessToken, outboxDir)),
    );
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - downAt)));
    // Refused connections, retried on the schedule: nothing arrived, every first event tried.
    const [tried] = await t.dataSource.query<{ min: number; errors: string[] }[]>(
      `SELECT min(attempts)::int AS min, array_agg(DISTINCT last_error) AS errors
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
       WHERE e.type = 'user.created' AND e.user_id = ANY($1)`,
      [users],
    );
    expect(tried!.min).toBeGreaterThanOrEqual(4);
    expect(tried!.errors.every((error) => error.startsWith('ECONNREFUSED'))).toBe(true);
    expect(receiver.received).toEqual([]);
    await receiver.comeBack();

    await receiver.waitFor(
      () =>
        users.every((id) => deduplicated(receiver.received, id).length >= SCRIPTED_EVENTS.length),
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const id of users) {
      const outbox = await t.dataSource.query<{ id: string; type: string }[]>(
        `SELECT e.id, e.type FROM webhook_events e JOIN webhook_deliveries d ON d.event_id = e.id
         WHERE e.user_id = $1 ORDER BY d.id`,
        [id],
      );
      expect(outbox.map(({ type }) => type)).toEqual(SCRIPTED_EVENTS);
      const arrived = deduplicated(receiver.received, id);
      expect(arrived.map(({ id: eventId }) => eventId)).toEqual(outbox.map(({ id }) => id));
    }
    expectAllSigned(receiver.received, secret);
    const ids = new Set(receiver.received.map(({ id }) => id));
    expect(ids.size).toBe(users.length * SCRIPTED_EVENTS.length);
  }, 180_000);
});
