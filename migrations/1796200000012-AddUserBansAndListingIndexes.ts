import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue #19: a ban's end time, and the indexes that keep the admin user listing fast on
 * 100,000 accounts: keyset pages by (created_at, id), and `LIKE 'prefix%'` on the stored
 * lower-case email and username whatever the database's collation (`varchar_pattern_ops`).
 * Sorting by email or username pages along their unique indexes.
 */
export class AddUserBansAndListingIndexes1796200000012 implements MigrationInterface {
  name = 'AddUserBansAndListingIndexes1796200000012';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "disabled_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE INDEX "IDX_users_disabled_until" ON "users" ("disabled_until") WHERE "disabled_until" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_users_created_at_id" ON "users" ("created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_users_email_pattern" ON "users" ("email" varchar_pattern_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_users_username_normalized_pattern" ON "users" ("username_normalized" varchar_pattern_ops)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_users_username_normalized_pattern"`);
    await queryRunner.query(`DROP INDEX "IDX_users_email_pattern"`);
    await queryRunner.query(`DROP INDEX "IDX_users_created_at_id"`);
    await queryRunner.query(`DROP INDEX "IDX_users_disabled_until"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "disabled_until"`);
  }
}
