import { randomBytes } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent.js';
import type { DataSource } from 'typeorm';
import { PERMISSIONS, type Permission } from '../../src/authorization/permissions.js';
import { logIn, signUp, type LoggedInUser } from './user.factory.js';

/**
 * A signed-in account holding a role of its own with `permissions` (all by default). Not the
 * built-in `admin`: suites that leave `admin` to chosen accounts cannot take it away. Granted
 * in SQL before the login: logging in reads the roles (the token's claim), and a grant in plain
 * SQL reaches an account the service remembers only with the change feed's next poll.
 */
export async function signUpOperator(
  http: TestAgent,
  dataSource: DataSource,
  permissions: readonly Permission[] = PERMISSIONS,
): Promise<LoggedInUser> {
  const user = await signUp(http);
  const role = `operator-${randomBytes(5).toString('hex')}`;
  const [{ id }] = await dataSource.query<[{ id: string }]>(
    `INSERT INTO roles (name) VALUES ($1) RETURNING id`,
    [role],
  );
  if (permissions.length > 0) {
    await dataSource.query(
      `INSERT INTO role_permissions (role_id, permission) SELECT $1, unnest($2::text[])`,
      [id, permissions],
    );
  }
  await dataSource.query(`INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)`, [
    user.id,
    id,
  ]);
  return { ...user, ...(await logIn(http, user)) };
}

/** Leaves `admin` to the given accounts only, as test/authorization.e2e-spec.ts does. */
export async function onlyAdministrators(
  dataSource: DataSource,
  ...userIds: string[]
): Promise<void> {
  await dataSource.query(
    `DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')
     AND NOT (user_id = ANY($1::uuid[]))`,
    [userIds],
  );
  await dataSource.query(
    `INSERT INTO user_roles (user_id, role_id) SELECT u, (SELECT id FROM roles WHERE name = 'admin')
     FROM unnest($1::uuid[]) AS u ON CONFLICT DO NOTHING`,
    [userIds],
  );
}

export interface AuditRow {
  actor_user_id: string | null;
  actor_label: string;
  action: string;
  target_type: string;
  target_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  ip_address: string | null;
  request_id: string | null;
}

export async function auditRowsFor(dataSource: DataSource, targetId: string): Promise<AuditRow[]> {
  return dataSource.query<AuditRow[]>(
    `SELECT actor_user_id, actor_label, action, target_type, target_id, before, after, reason,
            ip_address, request_id
     FROM audit_entries WHERE target_id = $1 ORDER BY id`,
    [targetId],
  );
}
