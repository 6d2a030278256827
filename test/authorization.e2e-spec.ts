import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationService } from '../src/authorization/authorization.service.js';
import { PERMISSIONS } from '../src/authorization/permissions.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { grantRole } from './factories/roles.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { logIn, signUp, signUpAndLogIn } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';

// A database of its own: the last-administrator rule counts every account's roles.
describe('authorization rules (issue #19)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  let authorization: AuthorizationService;
  beforeAll(async () => {
    database = await privateDatabase();
    t = await createTestApp(onPrivateDatabase(database));
    authorization = t.app.get(AuthorizationService);
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  /** Leaves `admin` to the given users only. */
  async function onlyAdministrators(...userIds: string[]): Promise<void> {
    await t.dataSource.query(
      `DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')
       AND NOT (user_id = ANY($1::uuid[]))`,
      [userIds],
    );
    for (const id of userIds) await grantRole(t.dataSource, id, 'admin');
  }

  it('grants an account without roles nothing, and admin every permission in code', async () => {
    const user = await signUp(t.http);
    expect([...(await authorization.permissionsOf(user.id))]).toEqual([]);
    await authorization.setUserRoles(user.id, ['admin', 'support']);
    expect(await authorization.rolesOf(user.id)).toEqual(['admin', 'support']);
    expect([...(await authorization.permissionsOf(user.id))].sort()).toEqual(
      [...PERMISSIONS].sort(),
    );
  });

  it('grants support what its rows say, and forgets a role at once when it is taken away', async () => {
    const user = await signUp(t.http);
    await authorization.setUserRoles(user.id, ['support']);
    expect([...(await authorization.permissionsOf(user.id))].sort()).toEqual([
      'sessions:revoke',
      'users:read',
      'users:reset-password',
    ]);
    await authorization.setUserRoles(user.id, []);
    expect(await authorization.rolesOf(user.id)).toEqual([]);
    expect(await authorization.hasRole(user.id, 'support')).toBe(false);
  });

  it('refuses an unknown role with 422 naming it, and changes nothing', async () => {
    const user = await signUp(t.http);
    await authorization.setUserRoles(user.id, ['support']);
    await expect(authorization.setUserRoles(user.id, ['support', 'wizard'])).rejects.toMatchObject({
      problem: { status: 422, code: 'unknown-role', detail: expect.stringContaining('wizard') },
    });
    expect(await authorization.rolesOf(user.id)).toEqual(['support']);
  });

  it('refuses to take admin from the last active administrator (409 last-administrator)', async () => {
    const admin = await signUp(t.http);
    await onlyAdministrators(admin.id);
    await expect(authorization.setUserRoles(admin.id, ['support'])).rejects.toMatchObject({
      problem: { status: 409, code: 'last-administrator' },
    });
    await expect(
      t.dataSource.transaction((manager) =>
        authorization.assertNotLastAdministrator(admin.id, manager),
      ),
    ).rejects.toMatchObject({
      problem: { code: 'last-administrator' },
    });
    expect(await authorization.hasRole(admin.id, 'admin')).toBe(true);
  });

  it('counts only active accounts: a disabled second administrator does not save the last one', async () => {
    const [admin, disabled] = await Promise.all([signUp(t.http), signUp(t.http)]);
    await onlyAdministrators(admin.id, disabled.id);
    await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [disabled.id]);
    await expect(authorization.setUserRoles(admin.id, [])).rejects.toMatchObject({
      problem: { code: 'last-administrator' },
    });
    // The disabled one may lose it: the active one remains.
    await authorization.setUserRoles(disabled.id, []);
  });

  it('two administrators demoting each other at the same moment leave exactly one', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [first, second] = await Promise.all([signUp(t.http), signUp(t.http)]);
      await onlyAdministrators(first.id, second.id);
      const outcomes = await Promise.allSettled([
        authorization.setUserRoles(first.id, []),
        authorization.setUserRoles(second.id, []),
      ]);
      expect(outcomes.filter(({ status }) => status === 'fulfilled')).toHaveLength(1);
      const [{ count }] = await t.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM user_roles
         WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')`,
      );
      expect(count).toBe(1);
    }
  });

  it('GET /auth/me shows the roles held and the permissions they grant, current after a change', async () => {
    const user = await signUpAndLogIn(t.http);
    const me = () => t.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`);
    expect((await me()).body).toMatchObject({ id: user.id, roles: [], permissions: [] });
    await authorization.setUserRoles(user.id, ['support']);
    expect((await me()).body).toMatchObject({
      roles: ['support'],
      permissions: ['sessions:revoke', 'users:read', 'users:reset-password'],
    });
  });

  it('access tokens carry the roles held at issue, as the roles claim', async () => {
    const user = await signUp(t.http);
    expect(claimsOf((await logIn(t.http, user)).accessToken).roles).toEqual([]);
    await authorization.setUserRoles(user.id, ['support']);
    const { accessToken, refreshToken } = await logIn(t.http, user);
    expect(claimsOf(accessToken).roles).toEqual(['support']);
    const refreshed = await t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
    expect(claimsOf(refreshed.body.access_token as string).roles).toEqual(['support']);
  });
});
