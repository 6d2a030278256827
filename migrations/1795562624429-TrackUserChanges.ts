import { MigrationInterface, QueryRunner } from 'typeorm';

export class TrackUserChanges1795562624429 implements MigrationInterface {
  name = 'TrackUserChanges1795562624429';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_users_updated_at" ON "users"  ("updated_at") `);
    // Hand-written: every UPDATE bumps updated_at, even one made in plain SQL, so the
    // user caches (which poll updated_at) learn of it within seconds.
    await queryRunner.query(
      `CREATE FUNCTION "users_touch_updated_at"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."updated_at" := now(); RETURN NEW; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "TR_users_touch_updated_at" BEFORE UPDATE ON "users" FOR EACH ROW EXECUTE FUNCTION "users_touch_updated_at"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "TR_users_touch_updated_at" ON "users"`);
    await queryRunner.query(`DROP FUNCTION "users_touch_updated_at"()`);
    await queryRunner.query(`DROP INDEX "public"."IDX_users_updated_at"`);
  }
}
