import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuthorizationService } from '../src/authorization/authorization.service.js';
import { ChangeFeedService } from '../src/platform/change-feed/change-feed.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import { within } from './within.js';

const redisUrl = inject('redisUrl');
const onServer = inject('databaseKind') === 'server';
/** Whatever crosses over within a second crossed by message: no poll is due for a minute. */
const POLL_ONCE_A_MINUTE = { CHANGE_FEED_POLL_SECONDS: '60' };

const listRoles = (t: TestApp, user: LoggedInUser) =>
  t.http.get('/admin/roles').set('Authorization', `Bearer ${user.accessToken}`);

/**
 * Issue #19: a role or permission change takes effect on every instance within a second,
 * through the change feed that carries revocations; both transports.
 */
describe.each([
  ['PostgreSQL and Redis', Boolean(redisUrl), { REDIS_URL: redisUrl ?? '' }],
  ['PostgreSQL alone (LISTEN/NOTIFY)', onServer, {}],
])('roles across two instances sharing %s', (_label, runs, env) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    if (!runs) return;
    [a, b] = await Promise.all([
      createTestApp({ ...POLL_ONCE_A_MINUTE, ...env }),
      createTestApp({ ...POLL_ONCE_A_MINUTE, ...env }),
    ]);
    await within(5000, () =>
      Promise.resolve(a.app.get(ChangeFeedService).live && b.app.get(ChangeFeedService).live),
    );
  });
  afterAll(async () => {
    if (runs) await Promise.all([a.close(), b.close()]);
  });

  it.runIf(runs)(
    'a role removed on A: the next admin request on B is refused within one second',
    async () => {
      const user = await signUpAndLogIn(a.http);
      await a.app.get(AuthorizationService).setUserRoles(user.id, ['support', 'admin']);
      // Not the last administrator: taking admin away must not be refused.
      const other = await signUpAndLogIn(a.http);
      await a.app.get(AuthorizationService).setUserRoles(other.id, ['admin']);
      // B has the grants in memory now, and would keep saying yes without a message.
      await within(1000, async () => (await listRoles(b, user)).status === 200);

      await a.app.get(AuthorizationService).setUserRoles(user.id, ['support']);
      const tookMs = await within(1000, async () => (await listRoles(b, user)).status === 403);
      expect(tookMs).toBeLessThan(1000);
    },
  );

  it.runIf(runs)(
    'a permission taken from a role on B: its holders are refused on A within one second',
    async () => {
      const admin = await signUpAndLogIn(a.http);
      const user = await signUpAndLogIn(a.http);
      await a.app.get(AuthorizationService).setUserRoles(admin.id, ['admin']);
      const name = `reader-${user.id.slice(0, 8)}`;
      const bearer = { Authorization: `Bearer ${admin.accessToken}` };
      expect(
        (
          await b.http
            .post('/admin/roles')
            .set(bearer)
            .send({ name, permissions: ['roles:read'] })
        ).status,
      ).toBe(201);
      await b.http
        .put(`/admin/users/${user.id}/roles`)
        .set(bearer)
        .send({ roles: [name] });
      await within(1000, async () => (await listRoles(a, user)).status === 200);

      await b.http.put(`/admin/roles/${name}/permissions`).set(bearer).send({ permissions: [] });
      const tookMs = await within(1000, async () => (await listRoles(a, user)).status === 403);
      expect(tookMs).toBeLessThan(1000);
    },
  );
});

/** Changes nobody announced (plain SQL, a lost message) are caught by the poll. */
describe.runIf(onServer)('roles changed in plain SQL', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp(), createTestApp()]);
    await within(5000, () =>
      Promise.resolve(a.app.get(ChangeFeedService).live && b.app.get(ChangeFeedService).live),
    );
  });
  afterAll(() => Promise.all([a.close(), b.close()]));

  // The delete puts the tables back as they were at the last poll: a digest of them would
  // not move, the trigger-kept change count does (the bug this test first caught).
  it('are seen on every instance within a second or two, even one undoing the last change', async () => {
    const user = await signUpAndLogIn(a.http);
    await a.app.get(AuthorizationService).setUserRoles(user.id, ['admin']);
    await within(1000, async () => (await listRoles(a, user)).status === 200);
    await within(1000, async () => (await listRoles(b, user)).status === 200);

    await a.dataSource.query('DELETE FROM user_roles WHERE user_id = $1', [user.id]);
    await within(2500, async () => (await listRoles(a, user)).status === 403);
    await within(2500, async () => (await listRoles(b, user)).status === 403);
  });
});
