import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import { signUp, type LoggedInUser } from './factories/user.factory.js';
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
});
