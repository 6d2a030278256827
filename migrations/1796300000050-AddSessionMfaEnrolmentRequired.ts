import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions limited to second-factor enrolment (issue #20, MFA_REQUIRED_ROLES): opened by a
 * login of someone whose role requires a second factor they do not have yet. Every session
 * before this was a full one.
 */
export class AddSessionMfaEnrolmentRequired1796300000050 implements MigrationInterface {
  name = 'AddSessionMfaEnrolmentRequired1796300000050';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD "mfa_enrolment_required" boolean NOT NULL DEFAULT false`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "mfa_enrolment_required"`);
  }
}
