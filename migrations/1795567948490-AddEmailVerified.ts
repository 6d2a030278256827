import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Existing accounts start unverified; REQUIRE_VERIFIED_EMAIL is off by default (issue #4). */
export class AddEmailVerified1795567948490 implements MigrationInterface {
  name = 'AddEmailVerified1795567948490';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "users" ADD "email_verified" boolean NOT NULL DEFAULT false`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email_verified"`);
  }
}
