import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Social login (issue #21): the provider accounts that sign users in, the sign-ins waiting at
 * a provider, the one-time codes waiting for the app; and accounts without a password.
 */
export class AddIdentities1796500000000 implements MigrationInterface {
  name = 'AddIdentities1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "identities" ("id" uuid NOT NULL, "provider" character varying(20) NOT NULL, "subject" character varying(255) NOT NULL, "email" character varying(254), "email_verified" boolean NOT NULL DEFAULT false, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_identities" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_identities_user_id" ON "identities" ("user_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_identities_provider_subject" ON "identities" ("provider", "subject")`,
    );
    await queryRunner.query(
      `ALTER TABLE "identities" ADD CONSTRAINT "FK_identities_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "oauth_states" ("id" uuid NOT NULL, "state_hash" character(64) NOT NULL, "provider" character varying(20) NOT NULL, "redirect_uri" character varying(2048) NOT NULL, "app_state" character varying(512), "code_verifier" character varying(128) NOT NULL, "app_code_challenge" character varying(43), "nonce" character varying(128), "link_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_oauth_states" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_oauth_states_state_hash" ON "oauth_states" ("state_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_oauth_states_expires_at" ON "oauth_states" ("expires_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "oauth_states" ADD CONSTRAINT "FK_oauth_states_link_user" FOREIGN KEY ("link_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "oauth_login_codes" ("id" uuid NOT NULL, "code_hash" character(64) NOT NULL, "provider" character varying(20) NOT NULL, "subject" character varying(255) NOT NULL, "email" character varying(254), "email_verified" boolean NOT NULL DEFAULT false, "name_hint" character varying(255), "code_challenge" character varying(43), "link_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_oauth_login_codes" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_oauth_login_codes_code_hash" ON "oauth_login_codes" ("code_hash")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_oauth_login_codes_expires_at" ON "oauth_login_codes" ("expires_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "oauth_login_codes" ADD CONSTRAINT "FK_oauth_login_codes_link_user" FOREIGN KEY ("link_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // An account opened through a provider keeps existing, with a hash no password matches
    // (bcrypt hashes start `$2`), until the reset flow sets a real one.
    await queryRunner.query(
      `UPDATE "users" SET "password_hash" = '!no-password' WHERE "password_hash" IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" SET NOT NULL`);
    await queryRunner.query(`DROP TABLE "oauth_login_codes"`);
    await queryRunner.query(`DROP TABLE "oauth_states"`);
    await queryRunner.query(`DROP TABLE "identities"`);
  }
}
