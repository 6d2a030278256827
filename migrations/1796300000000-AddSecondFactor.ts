import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second factors (issue #20): TOTP secrets (encrypted), recovery codes (hashed), the pending
 * second step of a login, and how each session signed in (RFC 8176 `amr`, OIDC `auth_time`).
 * Sessions opened before this knew only passwords: `{pwd}` since their creation; those an
 * administrator opened as the user (issue #19) proved nothing of the user's: `{}`.
 */
export class AddSecondFactor1796300000000 implements MigrationInterface {
  name = 'AddSecondFactor1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "mfa_factors" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "method" character varying(16) NOT NULL, "secret_ciphertext" text NOT NULL, "secret_key_id" character varying(16) NOT NULL, "confirmed_at" TIMESTAMP WITH TIME ZONE, "last_used_step" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_mfa_factors" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_mfa_factors_user_method" ON "mfa_factors" ("user_id", "method")`,
    );
    await queryRunner.query(
      `CREATE TABLE "mfa_recovery_codes" ("code_hash" character(64) NOT NULL, "user_id" uuid NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_mfa_recovery_codes" PRIMARY KEY ("code_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_mfa_recovery_codes_user_id" ON "mfa_recovery_codes" ("user_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "mfa_challenges" ("token_hash" character(64) NOT NULL, "user_id" uuid NOT NULL, "provider" character varying(64), "ip_address" character varying(45) NOT NULL, "user_agent" character varying(512), "request_id" character varying(128) NOT NULL, "attempts" smallint NOT NULL DEFAULT '0', "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_mfa_challenges" PRIMARY KEY ("token_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_mfa_challenges_user_id" ON "mfa_challenges" ("user_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_mfa_challenges_expires_at" ON "mfa_challenges" ("expires_at")`,
    );
    for (const table of ['mfa_factors', 'mfa_recovery_codes', 'mfa_challenges']) {
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "FK_${table}_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      );
    }
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD "auth_methods" character varying(16) array NOT NULL DEFAULT '{pwd}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD "authenticated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(`UPDATE "sessions" SET "authenticated_at" = "created_at"`);
    await queryRunner.query(`UPDATE "sessions" SET "auth_methods" = '{}' WHERE "impersonated"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "authenticated_at"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "auth_methods"`);
    await queryRunner.query(`DROP TABLE "mfa_challenges"`);
    await queryRunner.query(`DROP TABLE "mfa_recovery_codes"`);
    await queryRunner.query(`DROP TABLE "mfa_factors"`);
  }
}
