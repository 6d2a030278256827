import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions an administrator opened as the user (issue #19). The administrator may be deleted
 * later: the link empties, the mark stays, and such a session can no longer be refreshed.
 */
export class AddImpersonatedSessions1796200000020 implements MigrationInterface {
  name = 'AddImpersonatedSessions1796200000020';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD "impersonated" boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" ADD "impersonator_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "FK_sessions_impersonator" FOREIGN KEY ("impersonator_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    // Deleting an account looks up the sessions it impersonated: few, so a partial index.
    await queryRunner.query(
      `CREATE INDEX "IDX_sessions_impersonator_id" ON "sessions" ("impersonator_id") WHERE "impersonator_id" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_sessions_impersonator_id"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_sessions_impersonator"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "impersonator_id"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "impersonated"`);
  }
}
