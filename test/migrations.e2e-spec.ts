import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dataSourceOptions, MIGRATIONS } from '../src/database/data-source-options.js';
import { usernameSkeleton } from '../src/users/username-skeleton.js';
import { AddSecondFactor1796300000000 } from '../migrations/1796300000000-AddSecondFactor.js';
import { PunycodeEmailDomains1796123762830 } from '../migrations/1796123762830-PunycodeEmailDomains.js';
import { createTestApp } from './create-test-app.js';
import { privateDatabase, type PrivateDatabase } from './factories/private-database.js';
import { signUp } from './factories/user.factory.js';

const onServer = inject('databaseKind') === 'server';

describe('migrations', () => {
  let database: PrivateDatabase;
  beforeAll(async () => {
    database = await privateDatabase();
  });
  afterAll(() => database.drop());

  it.runIf(onServer)(
    'two instances starting together on one empty database both migrate it and serve',
    async () => {
      const env = {
        DATABASE_URL: database.url,
        DATABASE_RUN_MIGRATIONS: 'true',
        DATABASE_POOL_SIZE: '2',
      };
      const [a, b] = await Promise.all([createTestApp(env), createTestApp(env)]);
      await signUp(a.http);
      await signUp(b.http);
      const applied = await a.dataSource.query<unknown[]>('SELECT name FROM typeorm_migrations');
      expect(applied).toHaveLength(MIGRATIONS.length);
      await Promise.all([a.close(), b.close()]);
    },
  );

  it('the app applies pending migrations at start-up, even on a pool of one connection', async () => {
    const t = await createTestApp({
      DATABASE_URL: database.url,
      DATABASE_RUN_MIGRATIONS: 'true',
      DATABASE_POOL_SIZE: '1',
    });
    await signUp(t.http);
    expect(await t.dataSource.showMigrations()).toBe(false);
    await t.close();
  });

  it('every migration reverts cleanly and applies again, on a database that holds users', async () => {
    const dataSource = await new DataSource({
      ...dataSourceOptions({ url: database.url, poolSize: 1 }),
      logger: undefined,
    }).initialize();
    await dataSource.runMigrations();
    for (let step = 0; step < MIGRATIONS.length; step += 1) await dataSource.undoLastMigration();
    const tables = await dataSource.query<unknown[]>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations'",
    );
    expect(tables).toEqual([]);
    expect(await dataSource.runMigrations()).toHaveLength(MIGRATIONS.length);
    await dataSource.destroy();
  });

  it('upgrades a first-release database holding users, and downgrades it again, keeping them', async () => {
    const firstRelease = 3; // InitialSchema, IndexRevokedSessions, TrackUserChanges
    const own = await privateDatabase();
    const open = (migrations: typeof MIGRATIONS) =>
      new DataSource({
        ...dataSourceOptions({ url: own.url, poolSize: 1 }),
        migrations,
        logger: undefined,
      }).initialize();
    try {
      const old = await open(MIGRATIONS.slice(0, firstRelease));
      await old.runMigrations();
      await old.query(
        `INSERT INTO users (id, email, username, username_normalized, password_hash)
         VALUES (gen_random_uuid(), 'old@example.com', 'Old_User', 'old_user', '$2b$04$abcdefghijklmnopqrstuuMuBzT7VgaV4nN6Sg9LoMrVZWy5wX1Yu')`,
      );
      await old.destroy();

      const current = await open(MIGRATIONS);
      expect(await current.runMigrations()).toHaveLength(MIGRATIONS.length - firstRelease);
      expect(
        await current.query(
          `SELECT username, email_verified FROM users WHERE email = 'old@example.com'`,
        ),
      ).toEqual([{ username: 'Old_User', email_verified: false }]);
      const [{ id }] = await current.query<[{ id: string }]>(`SELECT id FROM users`);
      await current.query(
        `INSERT INTO account_tokens (id, user_id, purpose, token_hash, email, expires_at)
         VALUES (gen_random_uuid(), $1, 'verify_email', repeat('a', 64), 'old@example.com', now())`,
        [id],
      );
      await current.query(`INSERT INTO security_events (type, user_id) VALUES ('signup', $1)`, [
        id,
      ]);

      for (let step = firstRelease; step < MIGRATIONS.length; step += 1) {
        await current.undoLastMigration();
      }
      expect(await current.query(`SELECT count(*)::int AS users FROM users`)).toEqual([
        { users: 1 },
      ]);
      expect(await current.runMigrations()).toHaveLength(MIGRATIONS.length - firstRelease);
      await current.destroy();
    } finally {
      await own.drop();
    }
  });

  it('gives sessions open before second factors {pwd}, and those an administrator opened as the user {}', async () => {
    const before = MIGRATIONS.indexOf(AddSecondFactor1796300000000);
    const own = await privateDatabase();
    const open = (migrations: typeof MIGRATIONS) =>
      new DataSource({
        ...dataSourceOptions({ url: own.url, poolSize: 1 }),
        migrations,
        logger: undefined,
      }).initialize();
    try {
      const old = await open(MIGRATIONS.slice(0, before));
      await old.runMigrations();
      const [{ id }] = await old.query<[{ id: string }]>(
        `INSERT INTO users (id, email, username, username_normalized, password_hash)
         VALUES (gen_random_uuid(), 'o@example.com', 'owner', 'owner', 'x') RETURNING id`,
      );
      for (const impersonated of [false, true]) {
        await old.query(
          `INSERT INTO sessions (id, user_id, last_used_at, expires_at, impersonated)
           VALUES (gen_random_uuid(), $1, now(), now() + interval '1 hour', $2)`,
          [id, impersonated],
        );
      }
      await old.destroy();

      const current = await open(MIGRATIONS);
      await current.runMigrations();
      expect(
        await current.query(
          `SELECT impersonated, auth_methods FROM sessions ORDER BY impersonated`,
        ),
      ).toEqual([
        { impersonated: false, auth_methods: ['pwd'] },
        { impersonated: true, auth_methods: [] },
      ]);
      await current.destroy();
    } finally {
      await own.drop();
    }
  });

  it('folds stored addresses to punycode and gives usernames skeletons, keeping existing look-alikes', async () => {
    const before = MIGRATIONS.indexOf(PunycodeEmailDomains1796123762830);
    const own = await privateDatabase();
    const open = (migrations: typeof MIGRATIONS) =>
      new DataSource({
        ...dataSourceOptions({ url: own.url, poolSize: 1 }),
        migrations,
        logger: undefined,
      }).initialize();
    try {
      const old = await open(MIGRATIONS.slice(0, before));
      await old.runMigrations();
      const users: [string, string, string][] = [
        ['alice@bücher.example', 'bill', '2020-01-01'],
        ['bob@xn--bcher-kva.example', 'Admin', '2020-01-02'],
        ['bob@bücher.example', 'biII', '2020-01-03'],
        ['carol@example.com', 'B1LL', '2020-01-04'],
        ['jose\u0301@example.com', 'rnoney', '2020-01-05'],
      ];
      for (const [email, username, createdAt] of users) {
        await old.query(
          `INSERT INTO users (id, email, username, username_normalized, password_hash, created_at)
           VALUES (gen_random_uuid(), $1, $2, $3, 'x', $4)`,
          [email, username, username.toLowerCase(), createdAt],
        );
      }
      await old.query(
        `INSERT INTO account_tokens (id, user_id, purpose, token_hash, email, expires_at)
         SELECT gen_random_uuid(), id, 'change_email', repeat('b', 64), 'new@bücher.example', now()
         FROM users WHERE username = 'bill'`,
      );
      await old.destroy();

      const current = await open(MIGRATIONS);
      await current.runMigrations();
      const rows = await current.query<{ email: string; username: string; skeleton: string }[]>(
        `SELECT email, username, username_skeleton AS skeleton FROM users ORDER BY created_at`,
      );
      expect(rows).toEqual([
        { email: 'alice@xn--bcher-kva.example', username: 'bill', skeleton: 'blll' },
        { email: 'bob@xn--bcher-kva.example', username: 'Admin', skeleton: 'adrnln' },
        // Its punycode form is another account's, and it is a look-alike of `bill`: kept as is.
        { email: 'bob@bücher.example', username: 'biII', skeleton: null },
        { email: 'carol@example.com', username: 'B1LL', skeleton: null },
        { email: 'jos\u00e9@example.com', username: 'rnoney', skeleton: 'rnoney' },
      ]);
      for (const row of rows.filter(({ skeleton }) => skeleton !== null)) {
        expect(usernameSkeleton(row.username), row.username).toBe(row.skeleton);
      }
      expect(await current.query(`SELECT email FROM account_tokens`)).toEqual([
        { email: 'new@xn--bcher-kva.example' },
      ]);

      await current.undoLastMigration();
      await current.undoLastMigration();
      expect(await current.runMigrations()).toHaveLength(2);
      await current.destroy();
    } finally {
      await own.drop();
    }
  });
});
