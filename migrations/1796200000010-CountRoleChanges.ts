import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A counter every change to roles, role_permissions or user_roles bumps, in the changing
 * transaction (so it is seen only once that commits), even a change made in plain SQL. The
 * grants caches poll it as their net under lost messages (issue #19). A counter, not a digest
 * of the tables: a change undone between two polls leaves the digest as it was, not the count.
 */
export class CountRoleChanges1796200000010 implements MigrationInterface {
  name = 'CountRoleChanges1796200000010';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "role_changes" ("version" bigint NOT NULL)`);
    await queryRunner.query(`INSERT INTO "role_changes" ("version") VALUES (0)`);
    await queryRunner.query(
      `CREATE FUNCTION "role_changes_bump"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "role_changes" SET "version" = "version" + 1; RETURN NULL; END $$`,
    );
    for (const table of ['roles', 'role_permissions', 'user_roles']) {
      await queryRunner.query(
        `CREATE TRIGGER "TR_${table}_count_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "role_changes_bump"()`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['roles', 'role_permissions', 'user_roles']) {
      await queryRunner.query(`DROP TRIGGER "TR_${table}_count_changes" ON "${table}"`);
    }
    await queryRunner.query(`DROP FUNCTION "role_changes_bump"()`);
    await queryRunner.query(`DROP TABLE "role_changes"`);
  }
}
