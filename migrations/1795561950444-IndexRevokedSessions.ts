import { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexRevokedSessions1795561950444 implements MigrationInterface {
  name = 'IndexRevokedSessions1795561950444';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_sessions_revoked_at" ON "sessions"  ("revoked_at") WHERE "revoked_at" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_revoked_at"`);
  }
}
