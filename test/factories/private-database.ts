import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';

export interface PrivateDatabase {
  /** Empty: start the app on it with DATABASE_RUN_MIGRATIONS=true. */
  url: string;
  /** The embedded PostgreSQL (no server in this run): it serves one connection at a time. */
  embedded: boolean;
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
    return { url: embedded.url, embedded: true, drop: () => embedded.stop() };
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
    embedded: false,
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * createTestApp's env for an app on `database`, migrating it at start. One connection on the
 * embedded database, as the service itself opens there: its socket server mixes up the
 * prepared statements of connections that query at once (26000, "unnamed prepared statement
 * does not exist").
 */
export const onPrivateDatabase = (database: PrivateDatabase) => ({
  DATABASE_URL: database.url,
  DATABASE_RUN_MIGRATIONS: 'true',
  DATABASE_POOL_SIZE: database.embedded ? '1' : '4',
});
