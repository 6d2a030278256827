import type { DataSource, Migration } from 'typeorm';

/** Any constant shared by every instance of this service; names the migration lock. */
const MIGRATION_LOCK_KEY = 771_104_2024;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so instances that
 * start together do not race on the same DDL. The lock sits on its own connection; the
 * embedded server has a single connection, and a single process, so it needs no lock.
 */
export async function runPendingMigrations(
  dataSource: DataSource,
  { exclusive }: { exclusive: boolean },
): Promise<Migration[]> {
  if (!exclusive) return dataSource.runMigrations({ transaction: 'each' });
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockRunner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await lockRunner.release();
  }
}
