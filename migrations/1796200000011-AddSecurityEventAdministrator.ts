import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The administrator named in a user's own security event, when the service shows it (issue
 * #19). A new column is no UPDATE of existing rows: the append-only trigger is unaffected.
 */
export class AddSecurityEventAdministrator1796200000011 implements MigrationInterface {
  name = 'AddSecurityEventAdministrator1796200000011';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "security_events" ADD "administrator" character varying(64)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "security_events" DROP COLUMN "administrator"`);
  }
}
