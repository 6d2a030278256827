import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed-login counts per login name, for the login backoff (issue #5). */
export class AddLoginFailures1795566744464 implements MigrationInterface {
  name = 'AddLoginFailures1795566744464';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "login_failures" ("login_key" character(64) NOT NULL, "failures" integer NOT NULL, "last_failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "blocked_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_login_failures" PRIMARY KEY ("login_key"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "login_failures"`);
  }
}
