import type { DataSource } from 'typeorm';

/** Gives a user a role by name, in plain SQL, as an operator would. */
export async function grantRole(
  dataSource: DataSource,
  userId: string,
  roleName: string,
): Promise<void> {
  await dataSource.query(
    `INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2
     ON CONFLICT DO NOTHING`,
    [userId, roleName],
  );
}
