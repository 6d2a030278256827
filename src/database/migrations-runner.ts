import { MigrationExecutor, type DataSource, type Migration } from 'typeorm';

/** Any constant shared by every instance of this service; names the migration lock. */
const MIGRATION_LOCK_KEY = 7_711_042_024;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so instances that
 * start together do not race on the same DDL. Lock and migrations share one connection,
 * which also suits the single-session embedded database.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<Migration[]> {
  const queryRunner = dataSource.createQueryRunner();
  await queryRunner.connect();
  try {
    await queryRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const executor = new MigrationExecutor(dataSource, queryRunner);
    executor.transaction = 'each';
    return await executor.executePendingMigrations();
  } finally {
    await queryRunner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await queryRunner.release();
  }
}
