import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dataSourceOptions } from '../database/data-source-options.js';
import { WebhookOutboxModule } from './webhook-outbox.module.js';
import { WebhookOutbox } from './webhook-outbox.service.js';

const onServer = inject('databaseKind') === 'server';

/** The outbox alone, on the run's real, migrated database (issue #22). */
describe('WebhookOutbox', () => {
  let moduleRef: TestingModule;
  let outbox: WebhookOutbox;
  let dataSource: DataSource;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(
          dataSourceOptions({ url: inject('databaseUrl'), poolSize: inject('databasePoolSize') }),
        ),
        WebhookOutboxModule,
      ],
    }).compile();
    outbox = moduleRef.get(WebhookOutbox);
    dataSource = moduleRef.get(DataSource);
  });
  afterAll(() => moduleRef.close());

  /** The types of the user's events, by name; the user needs no account here. */
  const eventsOf = async (userId: string) =>
    (
      await dataSource.query<{ type: string }[]>(
        `SELECT type FROM webhook_events WHERE user_id = $1 ORDER BY type`,
        [userId],
      )
    ).map(({ type }) => type);

  const deleted = (userId: string) => ({ type: 'user.deleted', userId }) as const;

  it('writes an event at its transaction’s commit, not before', async () => {
    const userId = randomUUID();
    await dataSource.transaction(async (manager) => {
      outbox.record(manager, deleted(userId));
      const [row] = await manager.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM webhook_events WHERE user_id = $1`,
        [userId],
      );
      expect(row.count).toBe(0);
    });
    expect(await eventsOf(userId)).toEqual(['user.deleted']);
  });

  it('writes nothing for a transaction that rolls back', async () => {
    const userId = randomUUID();
    await expect(
      dataSource.transaction((manager) => {
        outbox.record(manager, deleted(userId));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await eventsOf(userId)).toEqual([]);
  });

  it('drops what a savepoint rolled back recorded, keeps what one released recorded', async () => {
    const userId = randomUUID();
    const recorded = (type: 'password.changed' | 'user.deleted') => ({ type, userId }) as const;
    await dataSource.transaction(async (manager) => {
      outbox.record(manager, { type: 'user.created', userId, data: created });
      await manager.transaction((inner) => {
        outbox.record(inner, recorded('password.changed'));
        return Promise.resolve();
      });
      await expect(
        manager.transaction((inner) => {
          outbox.record(inner, recorded('user.deleted'));
          throw new Error('the inner change failed');
        }),
      ).rejects.toThrow('the inner change failed');
    });
    expect(await eventsOf(userId)).toEqual(['password.changed', 'user.created']);
  });

  it('refuses to record outside a transaction, where nothing would ever write it', () => {
    expect(() => outbox.record(dataSource.manager, deleted(randomUUID()))).toThrow(
      'webhook events are recorded in a transaction',
    );
  });

  it('reads recordEach’s data at the commit: what the transaction leaves', async () => {
    const [first, second] = [randomUUID(), randomUUID()];
    await dataSource.transaction(async (manager) => {
      await manager.query(`CREATE TEMPORARY TABLE outbox_spec (n int) ON COMMIT DROP`);
      await manager.query(`INSERT INTO outbox_spec VALUES (1)`);
      outbox.recordEach(
        manager,
        'user.updated',
        [first, second],
        `jsonb_build_object('n', (SELECT n FROM outbox_spec))`,
      );
      await manager.query(`UPDATE outbox_spec SET n = 2`);
    });
    const rows = await dataSource.query<{ user_id: string; data: unknown }[]>(
      `SELECT user_id, data FROM webhook_events WHERE user_id = ANY($1) ORDER BY user_id`,
      [[first, second]],
    );
    expect(rows).toEqual(
      [first, second].sort().map((id) => ({ user_id: id, data: { user_id: id, n: 2 } })),
    );
  });

  // Another connection holds the user's lock: needs a server (the embedded database is one session).
  it.runIf(onServer)('commits only once no other transaction holds the user’s lock', async () => {
    const userId = randomUUID();
    const holder = new pg.Client({ connectionString: inject('databaseUrl') });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `SELECT pg_advisory_xact_lock(hashtext('whazz-auth:webhook-outbox'), hashtext($1))`,
        [userId],
      );
      let committed = false;
      const change = dataSource
        .transaction((manager) => {
          outbox.record(manager, deleted(userId));
          return Promise.resolve();
        })
        .then(() => (committed = true));
      const waiting = async () => {
        const [row] = await dataSource.query<[{ waiting: number }]>(
          `SELECT count(*)::int AS waiting FROM pg_locks
           WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted`,
        );
        return row.waiting > 0;
      };
      while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(committed).toBe(false);
      await holder.query('COMMIT');
      await change;
      expect(await eventsOf(userId)).toEqual(['user.deleted']);
    } finally {
      await holder.end();
    }
  });
});

const created = { email: 'outbox@example.com', username: 'outbox', email_verified: false };
