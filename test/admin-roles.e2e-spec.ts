import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationService } from '../src/authorization/authorization.service.js';
import { PERMISSIONS } from '../src/authorization/permissions.js';
import { RolesService } from '../src/authorization/roles.service.js';
import { SigningKeyRotationService } from '../src/tokens/signing-keys/signing-key-rotation.service.js';
import { WebhookEndpointsService } from '../src/webhooks/webhook-endpoints.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { newSignup, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface Operation {
  method: Method;
  path: string;
  permissions: string[] | undefined;
}

const uniqueRoleName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe('the admin roles API (issue #19)', () => {
  let t: TestApp;
  let admin: LoggedInUser;
  let authorization: AuthorizationService;
  beforeAll(async () => {
    t = await createTestApp();
    authorization = t.app.get(AuthorizationService);
    admin = await signUpAndLogIn(t.http);
    await authorization.setUserRoles(admin.id, ['admin']);
  });
  afterAll(() => t.close());

  const as = (user: LoggedInUser) => ({ Authorization: `Bearer ${user.accessToken}` });

  describe('the permission matrix, generated from the OpenAPI document', () => {
    let operations: Operation[];
    let holder: LoggedInUser;
    let lacker: LoggedInUser;
    beforeAll(async () => {
      const document = (await t.http.get('/docs-json')).body as {
        paths: Record<string, Record<string, { 'x-permissions'?: string[] }>>;
      };
      operations = Object.entries(document.paths)
        .filter(([path]) => path.startsWith('/admin'))
        .flatMap(([path, methods]) =>
          Object.entries(methods).map(([method, operation]) => ({
            method: method as Method,
            path,
            permissions: operation['x-permissions'],
          })),
        );
      [holder, lacker] = await Promise.all([signUpAndLogIn(t.http), signUpAndLogIn(t.http)]);
    });

    /** Unknown names and ids, empty bodies: enough to meet the guards, changing nothing. */
    const call = (operation: Operation, headers: Record<string, string> = {}) =>
      t.http[operation.method](
        operation.path.replace('{name}', 'no-such-role').replace('{id}', randomUUID()),
      )
        .set(headers)
        .send(operation.method === 'get' || operation.method === 'delete' ? undefined : {});

    /**
     * What each /admin operation needs to succeed, given a fresh account without roles and a
     * fresh custom role: the holder of exactly the route's permissions must get a 2xx. A new
     * route without an entry here fails the matrix, so it cannot be forgotten.
     */
    const SUCCESS: Record<string, (target: { id: string; role: string }) => object | undefined> = {
      'get /admin/roles': () => undefined,
      'post /admin/roles': () => ({
        name: uniqueRoleName('matrix-new'),
        permissions: ['users:read'],
      }),
      'patch /admin/roles/{name}': () => ({ name: uniqueRoleName('matrix-renamed') }),
      'put /admin/roles/{name}/permissions': () => ({ permissions: ['audit:read'] }),
      'delete /admin/roles/{name}': () => undefined,
      'put /admin/users/{id}/roles': ({ role }) => ({ roles: [role] }),
      'get /admin/users': () => undefined,
      'post /admin/users': () => {
        const { email, username } = newSignup();
        return { email, username };
      },
      'get /admin/users/{id}': () => undefined,
      'patch /admin/users/{id}': () => ({ username: newSignup().username }),
      'delete /admin/users/{id}': () => undefined,
      'post /admin/users/{id}/disable': () => ({ reason: 'permission matrix' }),
      'post /admin/users/{id}/enable': () => undefined,
      'post /admin/users/{id}/sessions/revoke-all': () => undefined,
      'post /admin/users/{id}/password-reset': () => undefined,
      'post /admin/users/{id}/impersonate': () => ({ reason: 'permission matrix' }),
      'post /admin/users/{id}/mfa/reset': () => ({ reason: 'permission matrix' }),
      'get /admin/audit': () => undefined,
      // Issue #22: publishes a key (pending for the activation delay), which the next one retires.
      'get /admin/keys': () => undefined,
      'post /admin/keys/rotate': () => undefined,
      'post /admin/keys/{kid}/retire': () => undefined,
      'post /admin/keys/import': () => ({
        private_key: generateKeyPairSync('ed25519').privateKey.export({
          format: 'pem',
          type: 'pkcs8',
        }),
      }),
      'get /admin/webhooks': () => undefined,
      'post /admin/webhooks': () => ({
        url: 'http://127.0.0.1:9/matrix',
        events: ['mfa.disabled'],
      }),
      'get /admin/webhooks/{id}': () => undefined,
      'patch /admin/webhooks/{id}': () => ({ description: 'permission matrix' }),
      'post /admin/webhooks/{id}/rotate-secret': () => undefined,
      'post /admin/webhooks/{id}/test': () => undefined,
      'get /admin/webhooks/{id}/deliveries': () => undefined,
      'post /admin/webhooks/{id}/deliveries/{deliveryId}/redeliver': () => undefined,
    };

    /** The key the matrix's rotation published: retiring it changes what signs nowhere. */
    const pendingKid = async () => {
      const rows = await t.dataSource.query<{ kid: string }[]>(
        `SELECT kid FROM signing_keys WHERE retired_at IS NULL AND active_from > now()
         ORDER BY published_at DESC LIMIT 1`,
      );
      return rows[0]?.kid ?? 'no-pending-key';
    };

    /** What the target needs before the operation can succeed on it. */
    const PREPARE: Record<string, (target: { id: string }) => Promise<unknown>> = {
      // One pending key at a time: the rotation's, if still there, gives way (issue #22).
      'post /admin/keys/import': async () => {
        const kid = await pendingKid();
        if (kid === 'no-pending-key') return;
        await t.app.get(SigningKeyRotationService).retire({ userId: null, label: 'test' }, kid);
      },
      // A second factor to reset: one recovery code is enough (issue #20).
      'post /admin/users/{id}/mfa/reset': ({ id }) =>
        t.dataSource.query(`INSERT INTO mfa_recovery_codes (code_hash, user_id) VALUES ($1, $2)`, [
          randomBytes(32).toString('hex'),
          id,
        ]),
    };

    /** A disabled endpoint (nothing is sent to it) with one queued delivery. */
    const webhookTarget = () =>
      t.dataSource.transaction(async (manager) => {
        const endpoints = t.app.get(WebhookEndpointsService);
        const { endpoint } = await endpoints.create(manager, { url: 'http://127.0.0.1:9/matrix' });
        await endpoints.update(manager, endpoint.id, { enabled: false });
        const delivery = await endpoints.sendTest(manager, endpoint.id);
        return { id: endpoint.id, deliveryId: delivery.id };
      });

    const succeed = async (operation: Operation, headers: Record<string, string>) => {
      const webhook = operation.path.startsWith('/admin/webhooks/') ? await webhookTarget() : null;
      const target = {
        id: webhook?.id ?? (await signUpAndLogIn(t.http)).id,
        role: uniqueRoleName('matrix-role'),
      };
      // No permissions: the holder of exactly `roles:write` may give only roles within what it
      // holds (403 target-outranks-actor otherwise, proven in the security battery).
      await t.app.get(RolesService).create(target.role, []);
      await PREPARE[`${operation.method} ${operation.path}`]?.(target);
      const body = SUCCESS[`${operation.method} ${operation.path}`]!(target);
      const kid = operation.path.includes('{kid}') ? await pendingKid() : '';
      return t.http[operation.method](
        operation.path
          .replace('{name}', target.role)
          .replace('{id}', target.id)
          .replace('{kid}', kid)
          .replace('{deliveryId}', webhook?.deliveryId ?? ''),
      )
        .set(headers)
        .send(body);
    };

    it('covers the roles routes, and every /admin operation declares its permissions', () => {
      expect(operations.length).toBeGreaterThanOrEqual(6);
      for (const operation of operations) {
        const label = `${operation.method} ${operation.path}`;
        expect(operation.permissions, label).toBeDefined();
        expect(SUCCESS, `${label} has no success fixture in this matrix`).toHaveProperty([label]);
      }
    });

    it('answers 401 without a token, 403 naming the permission without it, and 2xx with exactly it', async () => {
      const roles = t.app.get(RolesService);
      for (const operation of operations) {
        const label = `${operation.method.toUpperCase()} ${operation.path}`;
        const required = operation.permissions!;
        expect((await call(operation)).status, label).toBe(401);

        // Every permission but one of the required ones: still refused, and that one named.
        const missing = required[0]!;
        const allBut = uniqueRoleName('matrix-without');
        await roles.create(
          allBut,
          PERMISSIONS.filter((permission) => permission !== missing),
        );
        await authorization.setUserRoles(lacker.id, [allBut]);
        const refused = await call(operation, as(lacker));
        expect(refused.status, label).toBe(403);
        expect(refused.body, label).toMatchObject({
          type: 'https://whazz.audio/problems/forbidden',
          detail: expect.stringContaining(`\`${missing}\``),
        });

        const exactly = uniqueRoleName('matrix-with');
        await roles.create(exactly, required);
        await authorization.setUserRoles(holder.id, [exactly]);
        const allowed = await succeed(operation, as(holder));
        expect(allowed.status, `${label}: ${JSON.stringify(allowed.body)}`).toBeGreaterThanOrEqual(
          200,
        );
        expect(allowed.status, `${label}: ${JSON.stringify(allowed.body)}`).toBeLessThan(300);
        await Promise.all([
          authorization.setUserRoles(lacker.id, []),
          authorization.setUserRoles(holder.id, []),
        ]);
      }
    });
  });

  describe('managing roles', () => {
    it('creates a role, lists it, renames it, changes its permissions, and deletes it', async () => {
      const name = uniqueRoleName('billing');
      const created = await t.http
        .post('/admin/roles')
        .set(as(admin))
        .send({ name, permissions: ['users:read', 'audit:read', 'users:read'] });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({
        name,
        built_in: false,
        permissions: ['audit:read', 'users:read'],
        holders: 0,
      });

      const list = await t.http.get('/admin/roles').set(as(admin));
      expect(list.status).toBe(200);
      const names = (list.body as { name: string }[]).map((role) => role.name);
      expect(names).toEqual(expect.arrayContaining(['admin', 'support', name]));
      expect(
        (list.body as { name: string; permissions: string[] }[]).find((r) => r.name === 'admin')!
          .permissions,
      ).toEqual([...PERMISSIONS].sort());

      const renamed = `${name}-2`;
      const rename = await t.http
        .patch(`/admin/roles/${name}`)
        .set(as(admin))
        .send({ name: renamed });
      expect(rename.status).toBe(200);
      expect(rename.body).toMatchObject({ name: renamed });

      const permissions = await t.http
        .put(`/admin/roles/${renamed}/permissions`)
        .set(as(admin))
        .send({ permissions: ['sessions:revoke'] });
      expect(permissions.status).toBe(200);
      expect(permissions.body).toMatchObject({ permissions: ['sessions:revoke'] });

      expect((await t.http.delete(`/admin/roles/${renamed}`).set(as(admin))).status).toBe(204);
      expect(
        (await t.dataSource.query('SELECT 1 FROM roles WHERE name = $1', [renamed])).length,
      ).toBe(0);
    });

    it('a role given more permissions grants them at once to its holders', async () => {
      const name = uniqueRoleName('growing');
      const user = await signUpAndLogIn(t.http);
      await t.http.post('/admin/roles').set(as(admin)).send({ name, permissions: [] });
      await t.http
        .put(`/admin/users/${user.id}/roles`)
        .set(as(admin))
        .send({ roles: [name] });
      expect((await t.http.get('/admin/roles').set(as(user))).status).toBe(403);
      await t.http
        .put(`/admin/roles/${name}/permissions`)
        .set(as(admin))
        .send({ permissions: ['roles:read'] });
      expect((await t.http.get('/admin/roles').set(as(user))).status).toBe(200);
      const me = await t.http.get('/auth/me').set(as(user));
      expect(me.body).toMatchObject({ roles: [name], permissions: ['roles:read'] });
    });

    it("concurrent PUTs of one account's roles leave exactly one of the sets, never their union", async () => {
      const names = Array.from({ length: 6 }, (_, i) => uniqueRoleName(`set${i}`));
      for (const name of names) {
        await t.http.post('/admin/roles').set(as(admin)).send({ name, permissions: [] });
      }
      const user = await signUpAndLogIn(t.http);
      for (let round = 0; round < 3; round += 1) {
        const answers = await Promise.all(
          names.map((name) =>
            t.http
              .put(`/admin/users/${user.id}/roles`)
              .set(as(admin))
              // With admin kept, no last-administrator check serialises them by its lock.
              .send({ roles: ['admin', name] }),
          ),
        );
        expect(answers.map(({ status }) => status)).toEqual(names.map(() => 200));
        const held = await t.dataSource.query<{ name: string }[]>(
          `SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1`,
          [user.id],
        );
        expect(held).toHaveLength(2);
      }
    });

    it('refuses to delete a role while it is held, and moves its holders with reassign_to', async () => {
      const [name, other] = [uniqueRoleName('held'), uniqueRoleName('heir')];
      const user = await signUpAndLogIn(t.http);
      await t.http
        .post('/admin/roles')
        .set(as(admin))
        .send({ name, permissions: ['users:read'] });
      await t.http.post('/admin/roles').set(as(admin)).send({ name: other, permissions: [] });
      await t.http
        .put(`/admin/users/${user.id}/roles`)
        .set(as(admin))
        .send({ roles: [name] });

      const refused = await t.http.delete(`/admin/roles/${name}`).set(as(admin));
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe('https://whazz.audio/problems/role-in-use');

      const unknownHeir = await t.http
        .delete(`/admin/roles/${name}?reassign_to=no-such-role`)
        .set(as(admin));
      expect(unknownHeir.status).toBe(422);

      const moved = await t.http.delete(`/admin/roles/${name}?reassign_to=${other}`).set(as(admin));
      expect(moved.status).toBe(204);
      expect(await authorization.rolesOf(user.id)).toEqual([other]);
    });

    it('keeps the built-in roles as they are (409 built-in-role)', async () => {
      const attempts = [
        t.http.patch('/admin/roles/admin').set(as(admin)).send({ name: 'root' }),
        t.http.patch('/admin/roles/support').set(as(admin)).send({ name: 'helpdesk' }),
        t.http.put('/admin/roles/admin/permissions').set(as(admin)).send({ permissions: [] }),
        t.http.delete('/admin/roles/support').set(as(admin)),
        t.http.delete('/admin/roles/admin').set(as(admin)),
      ];
      for (const response of await Promise.all(attempts)) {
        expect(response.status).toBe(409);
        expect(response.body.type).toBe('https://whazz.audio/problems/built-in-role');
      }
    });

    it('refuses a name already taken with 409', async () => {
      const response = await t.http
        .post('/admin/roles')
        .set(as(admin))
        .send({ name: 'support', permissions: [] });
      expect(response.status).toBe(409);
      expect(response.body.type).toBe('https://whazz.audio/problems/role-name-taken');
    });
  });

  describe('bad input gets a clear 4xx, never a 5xx', () => {
    it.each([
      [
        'an unknown permission',
        { name: 'valid-name', permissions: ['users:read', 'users:fly'] },
        'users:fly',
      ],
      [
        'a permission that is not a string',
        { name: 'valid-name', permissions: [42] },
        'permissions',
      ],
      ['odd characters in the name', { name: 'Admin!', permissions: [] }, 'name'],
      ['a path in the name', { name: '../admin', permissions: [] }, 'name'],
      ['a one-letter name', { name: 'a', permissions: [] }, 'name'],
      ['a 41-character name', { name: `a${'b'.repeat(40)}`, permissions: [] }, 'name'],
      ['a non-ASCII name', { name: 'rôle', permissions: [] }, 'name'],
      ['a NUL in the name', { name: 'ab\u0000c', permissions: [] }, 'name'],
      ['no permissions field', { name: 'valid-name' }, 'permissions'],
    ])('refuses %s with 422', async (_label, body, named) => {
      const response = await t.http.post('/admin/roles').set(as(admin)).send(body);
      expect(response.status).toBe(422);
      expect(JSON.stringify(response.body)).toContain(named);
    });

    it('answers an unknown role with 404 and a role name with odd characters likewise', async () => {
      for (const name of ['no-such-role', 'Ünknown', '%00', 'x'.repeat(300)]) {
        const response = await t.http
          .patch(`/admin/roles/${encodeURIComponent(name)}`)
          .set(as(admin))
          .send({ name: 'whatever' });
        expect(response.status, name).toBeGreaterThanOrEqual(400);
        expect(response.status, name).toBeLessThan(500);
      }
      const unknown = await t.http
        .put('/admin/roles/no-such-role/permissions')
        .set(as(admin))
        .send({ permissions: [] });
      expect(unknown.status).toBe(404);
      expect(unknown.body.type).toBe('https://whazz.audio/problems/role-not-found');
    });

    it('PUT /admin/users/{id}/roles: unknown role 422 naming it, bad id 422, unknown account 404', async () => {
      const user = await signUpAndLogIn(t.http);
      const unknownRole = await t.http
        .put(`/admin/users/${user.id}/roles`)
        .set(as(admin))
        .send({ roles: ['support', 'wizard'] });
      expect(unknownRole.status).toBe(422);
      expect(unknownRole.body.detail).toContain('wizard');
      const badId = await t.http
        .put('/admin/users/not-a-uuid/roles')
        .set(as(admin))
        .send({ roles: [] });
      expect(badId.status).toBe(422);
      const nobody = await t.http
        .put(`/admin/users/${randomUUID()}/roles`)
        .set(as(admin))
        .send({ roles: [] });
      expect(nobody.status).toBe(404);
      // One problem for an unknown account, the same wherever an account id is given.
      const { type, title, detail } = (
        await t.http.get(`/admin/users/${randomUUID()}`).set(as(admin))
      ).body as Record<string, unknown>;
      expect(nobody.body).toMatchObject({ type, title, detail });
      expect(type).toMatch(/\/user-not-found$/);
    });
  });

  // A database of its own: the rule counts every account's roles.
  describe('the last administrator', () => {
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

    it('two administrators demoting each other over HTTP at once leave exactly one', async () => {
      for (let round = 0; round < 3; round += 1) {
        const [first, second] = await Promise.all([signUpAndLogIn(t.http), signUpAndLogIn(t.http)]);
        // Only these two hold admin now (earlier rounds' winner removed in plain SQL).
        await t.dataSource.query(
          `DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')`,
        );
        await authorization.setUserRoles(first.id, ['admin']);
        await authorization.setUserRoles(second.id, ['admin']);
        const [a, b] = await Promise.all([
          t.http.put(`/admin/users/${second.id}/roles`).set(as(first)).send({ roles: [] }),
          t.http.put(`/admin/users/${first.id}/roles`).set(as(second)).send({ roles: [] }),
        ]);
        // The loser is refused by the rule (409), or by the guard if the winner finished first.
        const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
        expect(winner.status).toBe(200);
        expect([409, 403], JSON.stringify(loser.body)).toContain(loser.status);
        if (loser.status === 409) {
          expect(loser.body.type).toBe('https://whazz.audio/problems/last-administrator');
        }
        const [{ count }] = await t.dataSource.query<[{ count: number }]>(
          `SELECT count(*)::int AS count FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')`,
        );
        expect(count).toBe(1);
      }
    });
  });
});
