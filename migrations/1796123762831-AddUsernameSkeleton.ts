import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames that look alike cannot both exist (issue 18 point 10): a unique skeleton, as
 * src/users/username-skeleton.ts computes it (lower case, `m → rn`, `0 → o`, `1`/`i` → `l`).
 * Look-alikes that already exist are kept: the oldest of each group gets the skeleton, the
 * others none (NULL, which the unique index ignores), so the migration never fails on real
 * data, and no new name can join any group.
 */
export class AddUsernameSkeleton1796123762831 implements MigrationInterface {
  name = 'AddUsernameSkeleton1796123762831';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "username_skeleton" character varying(64)`);
    await queryRunner.query(
      `UPDATE "users" SET "username_skeleton" = "ranked"."skeleton"
       FROM (
         SELECT "id", "skeleton",
                row_number() OVER (PARTITION BY "skeleton" ORDER BY "created_at", "id") AS "rank"
         FROM (
           SELECT "id", "created_at",
                  translate(replace(lower("username_normalized"), 'm', 'rn'), '01i', 'oll') AS "skeleton"
           FROM "users"
         ) AS "skeletons"
       ) AS "ranked"
       WHERE "users"."id" = "ranked"."id" AND "ranked"."rank" = 1`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_users_username_skeleton" ON "users" ("username_skeleton") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_users_username_skeleton"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "username_skeleton"`);
  }
}
