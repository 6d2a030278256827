import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  DataSource,
  type EntityManager,
  type EntitySubscriberInterface,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type TransactionStartEvent,
} from 'typeorm';
import type { WebhookEventInput, WebhookEventType } from './webhook-events.js';

/** An outbox write waiting for its transaction's commit. */
interface PendingWrite {
  userIds: string[];
  sql: string;
  params: unknown[];
  /** How deep in savepoints it was recorded: a savepoint rolled back drops its own. */
  depth: number;
}

/**
 * The users' transaction-scoped locks, in ascending key order (the subquery's ORDER BY is
 * kept: a sorted subquery is not flattened). The two-key form, whose first key names the
 * outbox: the other advisory locks here (migrations, signing keys) use the one-key form, a
 * key space of its own.
 */
const LOCK_USERS = `SELECT pg_advisory_xact_lock(hashtext('whazz-auth:webhook-outbox'), key)
  FROM (SELECT DISTINCT hashtext(user_id::text) AS key
        FROM unnest($1::uuid[]) AS users(user_id) ORDER BY key) AS keys`;

/** One delivery per enabled endpoint that subscribes to the type, for each row of `event`. */
const DELIVER = `INSERT INTO webhook_deliveries (event_id, endpoint_id, user_id)
  SELECT event.id, endpoint.id, event.user_id FROM event
  JOIN webhook_endpoints endpoint
    ON endpoint.enabled AND (endpoint.events = '{}' OR event.type = ANY(endpoint.events))`;

/**
 * The transactional outbox (issue #22): a change site records its event with the
 * EntityManager of its own transaction; the event and its pending deliveries are written in
 * that transaction just before its COMMIT, so they commit with the change or not at all. The
 * delivery worker sends them afterwards, in delivery id order per user and endpoint.
 *
 * Written at the commit, under a lock per user held until it ends ("in order per user"):
 * delivery ids come from a sequence at INSERT, and two transactions about one user could
 * commit in the opposite order of their ids, the later one sent first. Locked, ids follow
 * commit order, and so does `occurred_at` (the clock read there, not the transaction's
 * start). As a transaction's last locks they cannot deadlock: a holder is past its own work
 * and waits only for other outbox locks (always taken in ascending order) and for the
 * endpoint rows its deliveries reference (locked only by endpoint changes, which record
 * nothing). Taken at `record()`, mid-transaction, a holder could go on to wait for a row (a
 * mail link, a device) held by a transaction waiting for this lock.
 */
@Injectable()
export class WebhookOutbox implements EntitySubscriberInterface {
  private readonly pending = new WeakMap<QueryRunner, PendingWrite[]>();
  /** Each open transaction's depth: 1, and one more per savepoint. */
  private readonly depths = new WeakMap<QueryRunner, number>();

  constructor(private readonly dataSource: DataSource) {
    // TypeORM calls the transaction hooks below for every transaction of this DataSource.
    dataSource.subscribers.push(this);
  }

  /** `event`, written when `manager`'s transaction commits. */
  record(manager: EntityManager, event: WebhookEventInput): void {
    this.queue(
      manager,
      [event.userId],
      `WITH event AS (
         INSERT INTO webhook_events (id, type, user_id, data, occurred_at)
         VALUES ($1, $2, $3, $4, clock_timestamp())
         RETURNING id, type, user_id
       ) ${DELIVER}`,
      [randomUUID(), event.type, event.userId, { user_id: event.userId, ...event.data }],
    );
  }

  /**
   * One `type` event for each of `userIds`, in one statement whatever their number (a role
   * renamed or deleted). Its `data` (jsonb, without `user_id`) is the SQL expression `data`
   * of `holder.user_id`, read at the commit under the users' locks: what the transaction
   * leaves them, after every earlier commit about them.
   */
  recordEach(
    manager: EntityManager,
    type: WebhookEventType,
    userIds: string[],
    data: string,
  ): void {
    if (userIds.length === 0) return;
    this.queue(
      manager,
      userIds,
      `WITH event AS (
         INSERT INTO webhook_events (id, type, user_id, data, occurred_at)
         SELECT gen_random_uuid(), $2, holder.user_id,
                jsonb_build_object('user_id', holder.user_id) || ${data}, clock_timestamp()
         FROM unnest($1::uuid[]) AS holder(user_id)
         RETURNING id, type, user_id
       ) ${DELIVER}`,
      [userIds, type],
    );
  }

  afterTransactionStart({ queryRunner }: TransactionStartEvent): void {
    this.depths.set(queryRunner, (this.depths.get(queryRunner) ?? 0) + 1);
  }

  /** The outermost commit writes; a savepoint's release hands its events to the level above. */
  async beforeTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    const writes = this.pending.get(queryRunner);
    if (!writes) return;
    const depth = this.depthOf(queryRunner);
    if (depth > 1) {
      for (const write of writes) write.depth = Math.min(write.depth, depth - 1);
      return;
    }
    this.pending.delete(queryRunner);
    const userIds = [...new Set(writes.flatMap((write) => write.userIds))];
    await queryRunner.query(LOCK_USERS, [userIds]);
    for (const { sql, params } of writes) await queryRunner.query(sql, params);
  }

  afterTransactionCommit({ queryRunner }: TransactionCommitEvent): void {
    this.leave(queryRunner);
  }

  /** What was recorded since the savepoint (everything, at the outermost level) goes. */
  beforeTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    const depth = this.depthOf(queryRunner);
    const kept = this.pending.get(queryRunner)?.filter((write) => write.depth < depth);
    if (kept?.length) this.pending.set(queryRunner, kept);
    else this.pending.delete(queryRunner);
  }

  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    this.leave(queryRunner);
  }

  private queue(manager: EntityManager, userIds: string[], sql: string, params: unknown[]) {
    const { queryRunner } = manager;
    // Written at a commit this DataSource announces: anywhere else it would never be written.
    if (!queryRunner?.isTransactionActive || manager.dataSource !== this.dataSource) {
      throw new Error('webhook events are recorded in a transaction of the application database');
    }
    const writes = this.pending.get(queryRunner) ?? [];
    writes.push({ userIds, sql, params, depth: this.depthOf(queryRunner) });
    this.pending.set(queryRunner, writes);
  }

  private depthOf(queryRunner: QueryRunner): number {
    return this.depths.get(queryRunner) ?? 1;
  }

  private leave(queryRunner: QueryRunner): void {
    const depth = this.depthOf(queryRunner) - 1;
    if (depth > 0) this.depths.set(queryRunner, depth);
    else this.depths.delete(queryRunner);
  }
}
