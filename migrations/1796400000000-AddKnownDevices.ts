import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Known devices (issue #20): the token a login hands a client, by hash only, and the link
 * from each session to the device it started on. Forgetting a device empties the link; the
 * sessions themselves are revoked first by the service.
 */
export class AddKnownDevices1796400000000 implements MigrationInterface {
  name = 'AddKnownDevices1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "known_devices" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "token_hash" character(64) NOT NULL, "user_agent" character varying(512), "ip_address" character varying(45), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "remembered_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_known_devices" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_known_devices_token_hash" ON "known_devices" ("token_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_known_devices_user_id" ON "known_devices" ("user_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_known_devices_expires_at" ON "known_devices" ("expires_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "known_devices" ADD CONSTRAINT "FK_known_devices_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" ADD "device_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "FK_sessions_device" FOREIGN KEY ("device_id") REFERENCES "known_devices"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    // Revoking a device looks up its sessions; most sessions predate devices or have none.
    await queryRunner.query(
      `CREATE INDEX "IDX_sessions_device_id" ON "sessions" ("device_id") WHERE "device_id" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_sessions_device_id"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_sessions_device"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "device_id"`);
    await queryRunner.query(`ALTER TABLE "known_devices" DROP CONSTRAINT "FK_known_devices_user"`);
    await queryRunner.query(`DROP INDEX "IDX_known_devices_expires_at"`);
    await queryRunner.query(`DROP INDEX "IDX_known_devices_user_id"`);
    await queryRunner.query(`DROP INDEX "UQ_known_devices_token_hash"`);
    await queryRunner.query(`DROP TABLE "known_devices"`);
  }
}
