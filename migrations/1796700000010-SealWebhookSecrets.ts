import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook secrets sealed at rest (issue #22): room for AES-256-GCM ciphertext and the id of
 * the key that sealed it. The migration cannot seal (it has no key): a row whose key id is null
 * is a secret stored in clear before this change, read as such and sealed by the service at
 * its next start (WebhookSecretsService.onModuleInit).
 */
export class SealWebhookSecrets1796700000010 implements MigrationInterface {
  name = 'SealWebhookSecrets1796700000010';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" TYPE character varying(255)`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ALTER COLUMN "previous_secret" TYPE character varying(255)`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ADD "secret_key_id" character varying(16)`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ADD "previous_secret_key_id" character varying(16)`,
    );
  }

  /**
   * Only while nothing is sealed: SQL cannot open a sealed secret to put it back in clear, and
   * a rotation seals the new secret too, so deleting the endpoints is the only way down. Outside
   * production every secret is sealed at the first start (under the development key if no
   * other), so there this means deleting every endpoint.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM "webhook_endpoints"
                    WHERE "secret_key_id" IS NOT NULL OR "previous_secret_key_id" IS NOT NULL) THEN
           RAISE EXCEPTION 'webhook secrets are sealed and SQL cannot open them: delete the endpoints whose secret_key_id or previous_secret_key_id is set (rotating seals again), then revert';
         END IF;
       END $$`,
    );
    await queryRunner.query(`ALTER TABLE "webhook_endpoints" DROP COLUMN "previous_secret_key_id"`);
    await queryRunner.query(`ALTER TABLE "webhook_endpoints" DROP COLUMN "secret_key_id"`);
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ALTER COLUMN "previous_secret" TYPE character varying(64)`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" TYPE character varying(64)`,
    );
  }
}
