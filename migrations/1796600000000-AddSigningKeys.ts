import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Asymmetric access-token signing keys (issue #22): the public JWK, the private key encrypted
 * under the key-encryption key, and the times that decide which key is published and which
 * signs.
 */
export class AddSigningKeys1796600000000 implements MigrationInterface {
  name = 'AddSigningKeys1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "signing_keys" ("kid" character varying(64) NOT NULL, "algorithm" character varying(16) NOT NULL, "public_jwk" jsonb NOT NULL, "private_key_ciphertext" text NOT NULL, "encryption_key_id" character varying(16) NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE NOT NULL, "active_from" TIMESTAMP WITH TIME ZONE NOT NULL, "retired_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_signing_keys" PRIMARY KEY ("kid"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_signing_keys_retired_at" ON "signing_keys" ("retired_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_signing_keys_retired_at"`);
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
