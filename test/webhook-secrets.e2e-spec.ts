import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '../src/platform/crypto/encryption-keys.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { logIn, type LoggedInUser } from './factories/user.factory.js';
import {
  startWebhookReceiver,
  verifiesBySpecification,
  verifiesWith,
  type TestWebhookReceiver,
} from './webhook-receiver.js';

const newKey = () => randomBytes(32).toString('base64');
const idOf = (key: string) => keyIdOf(Buffer.from(key, 'base64'));

/**
 * Webhook secrets sealed at rest under SIGNING_KEY_ENCRYPTION_KEY (issue #22). A database of
 * its own: start-up seals every endpoint's secret, and production counts the endpoints.
 */
describe('webhook secrets at rest (issue #22)', () => {
  let database: PrivateDatabase;
  let receiver: TestWebhookReceiver;
  let t: TestApp | undefined;
  let admin: LoggedInUser;
  const first = newKey();
  const second = newKey();

  const start = async (env: Record<string, string>) => {
    await t?.close();
    t = await createTestApp({
      ...onPrivateDatabase(database),
      WEBHOOKS_DELIVERY_ENABLED: 'true',
      WEBHOOKS_POLL_INTERVAL_MS: '100',
      WEBHOOKS_RETRY_DELAYS_SECONDS: '1,1,1,1,1,1,1,1,1,1',
      ...env,
    });
    return t;
  };
  const asAdmin = () => ({ Authorization: `Bearer ${admin.accessToken}` });
  const row = async (id: string) =>
    (
      await t!.dataSource.query<
        {
          secret: string;
          secret_key_id: string | null;
          previous_secret: string | null;
          previous_secret_key_id: string | null;
        }[]
      >(
        `SELECT secret, secret_key_id, previous_secret, previous_secret_key_id
         FROM webhook_endpoints WHERE id = $1`,
        [id],
      )
    )[0]!;
  const sendTest = async (id: string, path: string) => {
    const before = receiver.received.filter((r) => r.path === path).length;
    const sent = await t!.http.post(`/admin/webhooks/${id}/test`).set(asAdmin());
    expect(sent.status, sent.text).toBe(202);
    await receiver.waitFor((all) => all.filter((r) => r.path === path).length > before);
    return receiver.received.filter((r) => r.path === path).at(-1)!;
  };

  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };

  beforeAll(async () => {
    database = await privateDatabase();
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('stores no secret in clear, and deliveries signed with the sealed secret verify', async () => {
    await start({ SIGNING_KEY_ENCRYPTION_KEY: first });
    admin = await signUpOperator(t!.http, t!.dataSource);
    const created = await t!.http
      .post('/admin/webhooks')
      .set(asAdmin())
      .send({ url: `${receiver.url}/sealed` });
    expect(created.status, created.text).toBe(201);
    const { id, secret } = created.body as { id: string; secret: string };
    const stored = await row(id);
    expect(stored.secret_key_id).toBe(idOf(first));
    expect(stored.secret).not.toContain(secret.slice('whsec_'.length, 20));
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    const receipt = await sendTest(id, '/sealed');
    expect(verifiesWith(receipt, secret)).toBe(true);
    expect(verifiesBySpecification(receipt, secret)).toBe(true);

    // Rotated: both secrets sealed, both sign during the overlap.
    const rotated = await t!.http.post(`/admin/webhooks/${id}/rotate-secret`).set(asAdmin());
    expect(rotated.status, rotated.text).toBe(200);
    const newSecret = rotated.body.secret as string;
    const after = await row(id);
    expect(after).toMatchObject({
      secret_key_id: idOf(first),
      previous_secret: stored.secret,
      previous_secret_key_id: idOf(first),
    });
    expect(JSON.stringify(after)).not.toContain(newSecret.slice(6));
    const overlap = await sendTest(id, '/sealed');
    expect(verifiesWith(overlap, secret) && verifiesWith(overlap, newSecret)).toBe(true);
    // Shown once: neither the listing nor the endpoint carries it.
    const listed = await t!.http.get(`/admin/webhooks/${id}`).set(asAdmin());
    expect(listed.text).not.toContain(newSecret.slice(6));
  });

  it('a secret whose key is not configured postpones its delivery: no attempt used, endpoint kept', async () => {
    const created = await t!.http
      .post('/admin/webhooks')
      .set(asAdmin())
      .send({ url: `${receiver.url}/unknown-key` });
    const { id, secret } = created.body as { id: string; secret: string };
    const sealedUnder = (await row(id)).secret_key_id;
    await t!.dataSource.query(
      `UPDATE webhook_endpoints SET secret_key_id = 'deadbeef' WHERE id = $1`,
      [id],
    );
    await t!.http.post(`/admin/webhooks/${id}/test`).set(asAdmin()).expect(202);
    const delivery = async () =>
      (
        await t!.dataSource.query<
          {
            status: string;
            attempts: number;
            last_error: string | null;
            postponed: boolean;
            locked: boolean;
          }[]
        >(
          `SELECT status, attempts, last_error, next_attempt_at > now() + interval '20 seconds' AS postponed,
                  locked_until IS NOT NULL AS locked
           FROM webhook_deliveries WHERE endpoint_id = $1`,
          [id],
        )
      )[0];
    const shiftDue = (endpointId: string) =>
      t!.dataSource.query(
        `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1`,
        [endpointId],
      );
    const postponed = () =>
      expect.poll(async () => (await delivery())?.postponed, { timeout: 10_000 }).toBe(true);
    await postponed();
    // Stands for the 30 seconds passing: tried again, postponed again, still uncounted.
    await shiftDue(id);
    await postponed();
    expect(await delivery()).toMatchObject({
      status: 'pending',
      attempts: 0,
      last_error: 'signing secret unavailable',
      locked: false,
    });
    const [endpoint] = await t!.dataSource.query<
      { enabled: boolean; failing_since: Date | null }[]
    >(`SELECT enabled, failing_since FROM webhook_endpoints WHERE id = $1`, [id]);
    expect(endpoint).toEqual({ enabled: true, failing_since: null });
    expect(t!.logs.some((line) => line.includes('webhook secret does not open'))).toBe(true);
    expect(t!.logs.join('\n')).not.toContain(secret.slice(6));
    expect((await t!.http.get('/health/live')).status).toBe(200);
    // The key back: the next try goes out, signed as before, as its first attempt.
    await t!.dataSource.query(`UPDATE webhook_endpoints SET secret_key_id = $2 WHERE id = $1`, [
      id,
      sealedUnder,
    ]);
    await shiftDue(id);
    await receiver.waitFor((all) => all.some((r) => r.path === '/unknown-key'));
    expect(
      verifiesWith(
        receiver.received.find((r) => r.path === '/unknown-key')!,
        secret,
      ),
    ).toBe(true);
    await expect.poll(async () => (await delivery())?.status).toBe('delivered');
    expect((await delivery())?.attempts).toBe(1);
  });

  it('at start seals secrets left in clear and reseals those under a previous key', async () => {
    // Stands for an endpoint written before secrets were sealed (its key id null).
    const legacyId = randomUUID();
    const legacySecret = `whsec_${randomBytes(32).toString('base64')}`;
    await t!.dataSource.query(
      `INSERT INTO webhook_endpoints (id, url, secret) VALUES ($1, $2, $3)`,
      [legacyId, `${receiver.url}/legacy`, legacySecret],
    );
    // One whose key is not configured: left as it is, and it stops none of the others.
    const lostId = randomUUID();
    await t!.dataSource.query(
      `INSERT INTO webhook_endpoints (id, url, secret, secret_key_id) VALUES ($1, $2, 'x.y.z', 'deadbeef')`,
      [lostId, `${receiver.url}/lost`],
    );
    await start({
      SIGNING_KEY_ENCRYPTION_KEY: second,
      SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS: first,
    });
    admin = { ...admin, ...(await logIn(t!.http, admin)) };
    expect((await row(lostId)).secret_key_id).toBe('deadbeef');
    expect(t!.logs.some((line) => /"key_missing":1\b/.test(line))).toBe(true);
    await t!.dataSource.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [lostId]);
    const rows = await t!.dataSource.query<
      { secret: string; secret_key_id: string; previous_secret_key_id: string | null }[]
    >(`SELECT secret, secret_key_id, previous_secret_key_id FROM webhook_endpoints`);
    expect(rows.length).toBe(3);
    for (const stored of rows) {
      expect(stored.secret_key_id).toBe(idOf(second));
      expect([null, idOf(second)]).toContain(stored.previous_secret_key_id);
      expect(stored.secret).not.toContain(legacySecret.slice(6));
    }
    const receipt = await sendTest(legacyId, '/legacy');
    expect(verifiesBySpecification(receipt, legacySecret)).toBe(true);
  });

  it('the published development key never seals beside secrets sealed under a real key', async () => {
    const clearId = randomUUID();
    const clearSecret = `whsec_${randomBytes(32).toString('base64')}`;
    await t!.dataSource.query(
      `INSERT INTO webhook_endpoints (id, url, secret) VALUES ($1, $2, $3)`,
      [clearId, `${receiver.url}/clear`, clearSecret],
    );
    const before = await t!.dataSource.query<{ id: string; secret_key_id: string | null }[]>(
      `SELECT id, secret_key_id FROM webhook_endpoints WHERE id <> $1 ORDER BY id`,
      [clearId],
    );
    // No SIGNING_KEY_ENCRYPTION_KEY outside production: the development key is current, and
    // the real keys still open what they sealed.
    await start({ SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS: `${second},${first}` });
    admin = { ...admin, ...(await logIn(t!.http, admin)) };
    expect(
      t!.logs.some((line) => line.includes('none is sealed or resealed under the published')),
    ).toBe(true);
    // Nothing moved onto the development key, and the clear one was not sealed under it.
    expect(
      await t!.dataSource.query(
        `SELECT id, secret_key_id FROM webhook_endpoints WHERE id <> $1 ORDER BY id`,
        [clearId],
      ),
    ).toEqual(before);
    expect((await row(clearId)).secret_key_id).toBeNull();
    const created = await t!.http
      .post('/admin/webhooks')
      .set(asAdmin())
      .send({ url: `${receiver.url}/development` });
    expect(created.status, created.text).toBe(503);
    const rotated = await t!.http
      .post(`/admin/webhooks/${before[0]!.id}/rotate-secret`)
      .set(asAdmin());
    expect(rotated.status, rotated.text).toBe(503);
    expect((await row(before[0]!.id)).secret_key_id).toBe(before[0]!.secret_key_id);
    await t!.dataSource.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [clearId]);
  });

  it('production without the key: refuses to start while endpoints exist; with none, 503 not 500', async () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'k'.repeat(40),
      SMTP_URL: 'smtp://127.0.0.1:9',
      APP_PUBLIC_URL: 'https://app.example.com',
      BCRYPT_COST: '10',
      // HS256: without a key-encryption key production may still start (no key signs).
      JWT_SIGNING_ALGORITHM: 'HS256',
      WEBHOOKS_DELIVERY_ENABLED: 'false',
    };
    await t?.close();
    t = undefined;
    // The signing keys go: sealed under a key production lacks here, they refuse on their own.
    await sql(`DELETE FROM signing_keys`);
    await expect(start(production)).rejects.toThrow(
      /SIGNING_KEY_ENCRYPTION_KEY: must be set: webhook endpoints exist/,
    );
    await sql(`DELETE FROM webhook_endpoints`);
    await start(production);
    admin = { ...admin, ...(await logIn(t!.http, admin)) };
    const refused = await t!.http
      .post('/admin/webhooks')
      .set(asAdmin())
      .send({ url: `${receiver.url}/nope` });
    expect(refused.status, refused.text).toBe(503);
    expect(refused.body).toMatchObject({
      type: 'https://whazz.audio/problems/webhook-secrets-unavailable',
    });
    const [{ count }] = await t!.dataSource.query<[{ count: number }]>(
      `SELECT count(*)::int AS count FROM webhook_endpoints`,
    );
    expect(count).toBe(0);
  });
});
