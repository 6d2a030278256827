import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeedService } from '../src/change-feed/change-feed.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpAndLogIn } from './factories/user.factory.js';

/** Polls until `check` holds or `withinMs` passes. */
async function within(withinMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`not within ${withinMs} ms`);
}

/**
 * The README's default: no DATABASE_URL, no REDIS_URL. The database lives in the process, so
 * no other instance can change it behind this one's back; bearer checks come from memory.
 */
describe('the embedded database without Redis (the README default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      DATABASE_URL: undefined,
      DATABASE_RUN_MIGRATIONS: 'true',
      EMBEDDED_DATABASE_DIR: 'memory://',
    });
  }, 60_000);
  afterAll(() => t.close());

  const me = (token: string) => t.http.get('/auth/me').set('Authorization', `Bearer ${token}`);

  it('answers bearer checks from memory', () => {
    expect(t.configuration.database.url).toBeUndefined();
    expect(t.app.get(ChangeFeedService).live).toBe(true);
  });

  it('refuses a token at once after its logout', async () => {
    const user = await signUpAndLogIn(t.http);
    expect((await me(user.accessToken)).status).toBe(200);
    await t.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    expect((await me(user.accessToken)).status).toBe(401);
  });

  it('sees a user disabled by hand in SQL within a second or two', async () => {
    const user = await signUpAndLogIn(t.http);
    expect((await me(user.accessToken)).status).toBe(200);
    await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    await within(2500, async () => (await me(user.accessToken)).status === 403);
  });
});
