import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { WebhookEventInput, WebhookEventType } from './webhook-events.js';

/**
 * The transactional outbox (issue #22): a change site writes its event with the EntityManager
 * of its own transaction, so the event commits with the change or not at all. The event gets
 * one pending delivery per enabled endpoint that subscribes to its type, in the same
 * statement; the delivery worker sends them after the commit.
 */
@Injectable()
export class WebhookOutbox {
  async record(manager: EntityManager, event: WebhookEventInput): Promise<void> {
    await manager.query(
      `WITH event AS (
         INSERT INTO webhook_events (id, type, user_id, data) VALUES ($1, $2, $3, $4)
         RETURNING id, type, user_id
       )
       INSERT INTO webhook_deliveries (event_id, endpoint_id, user_id)
       SELECT event.id, endpoint.id, event.user_id FROM event
       JOIN webhook_endpoints endpoint
         ON endpoint.enabled AND (endpoint.events = '{}' OR event.type = ANY(endpoint.events))`,
      [randomUUID(), event.type, event.userId, { user_id: event.userId, ...event.data }],
    );
  }

  /**
   * One `type` event per row of `source`, a SELECT of `user_id` and `data` (jsonb, without
   * `user_id`) run in the change's transaction: for a change that touches many users at once
   * (a role renamed or deleted), in one statement whatever their number. `params` are
   * `source`'s, from $1.
   */
  async recordEach(
    manager: EntityManager,
    type: WebhookEventType,
    source: string,
    params: unknown[],
  ): Promise<void> {
    await manager.query(
      `WITH source AS (${source}), event AS (
         INSERT INTO webhook_events (id, type, user_id, data)
         SELECT gen_random_uuid(), $${params.length + 1}, source.user_id,
                jsonb_build_object('user_id', source.user_id) || source.data
         FROM source
         RETURNING id, type, user_id
       )
       INSERT INTO webhook_deliveries (event_id, endpoint_id, user_id)
       SELECT event.id, endpoint.id, event.user_id FROM event
       JOIN webhook_endpoints endpoint
         ON endpoint.enabled AND (endpoint.events = '{}' OR event.type = ANY(endpoint.events))`,
      [...params, type],
    );
  }
}
