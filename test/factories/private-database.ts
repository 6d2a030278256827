import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';

export interface PrivateDatabase {
  /** Empty: start the app on it with DATABASE_RUN_MIGRATIONS=true. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of the suite's own, for rules that count across all accounts (the last
 * administrator, the bootstrap administrator): on the shared one, suites running in
 * parallel would change each other's counts.
 */
export async function privateDatabase(): Promise<PrivateDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres('memory://');
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const name = `whazz_private_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** createTestApp's env for an app on `database`, migrating it at start. */
export const onPrivateDatabase = (database: PrivateDatabase) => ({
  DATABASE_URL: database.url,
  DATABASE_RUN_MIGRATIONS: 'true',
  DATABASE_POOL_SIZE: '4',
});
