import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The refresh reuse grace (issue #23): the random salt a rotated token's successor was derived
 * with, kept only until that successor is used or the grace has passed.
 */
export class AddRefreshTokenSuccessorSalt1796800000000 implements MigrationInterface {
  name = 'AddRefreshTokenSuccessorSalt1796800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD "successor_salt" bytea`);
    await queryRunner.query(
      `CREATE INDEX "IDX_refresh_tokens_salted" ON "refresh_tokens" ("rotated_at") WHERE "successor_salt" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_refresh_tokens_salted"`);
    await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP COLUMN "successor_salt"`);
  }
}
