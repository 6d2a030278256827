import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AuditFields } from '../audit/entities/audit-entry.entity.js';
import type { WebhookEndpoint } from '../webhooks/entities/webhook-endpoint.entity.js';
import {
  WebhookEndpointsService,
  type DeliveryFilters,
  type DeliveryView,
  type EndpointWithSecret,
  type NewWebhookEndpoint,
  type WebhookEndpointChanges,
} from '../webhooks/webhook-endpoints.service.js';
import type { AdminRequest } from './admin-user-changes.service.js';

/** An endpoint's settings as its audit entry shows them: never its secret. */
function audited(endpoint: WebhookEndpoint): AuditFields {
  return { url: endpoint.url, events: endpoint.events, description: endpoint.description };
}

/** Only what differs. */
function difference(before: AuditFields, after: AuditFields) {
  const keys = Object.keys(after).filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key] ?? null])),
    after: Object.fromEntries(keys.map((key) => [key, after[key] ?? null])),
  };
}

/**
 * The webhooks API's actions (issue #22): each change and its audit entry in one transaction,
 * as the other admin actions are (issue #19).
 */
@Injectable()
export class AdminWebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: WebhookEndpointsService,
    private readonly audit: AuditService,
  ) {}

  list(): Promise<WebhookEndpoint[]> {
    return this.endpoints.list();
  }

  get(id: string): Promise<WebhookEndpoint> {
    return this.endpoints.get(id);
  }

  deliveries(id: string, filters: DeliveryFilters): Promise<DeliveryView[]> {
    return this.endpoints.deliveries(id, filters);
  }

  create(request: AdminRequest, input: NewWebhookEndpoint): Promise<EndpointWithSecret> {
    return this.audited(request, async (manager, record) => {
      const created = await this.endpoints.create(manager, input);
      await record('webhook.created', created.endpoint.id, { after: audited(created.endpoint) });
      return created;
    });
  }

  /** `enabled` flips are audited as `webhook.disabled` / `webhook.enabled`, the rest as updated. */
  update(
    request: AdminRequest,
    id: string,
    changes: WebhookEndpointChanges,
  ): Promise<WebhookEndpoint> {
    return this.audited(request, async (manager, record) => {
      const { before, after } = await this.endpoints.update(manager, id, changes);
      const diff = difference(audited(before), audited(after));
      if (Object.keys(diff.after).length > 0) await record('webhook.updated', id, diff);
      if (before.enabled !== after.enabled) {
        await record(after.enabled ? 'webhook.enabled' : 'webhook.disabled', id, {
          before: { enabled: before.enabled, disabled_reason: before.disabledReason },
          after: { enabled: after.enabled, disabled_reason: after.disabledReason },
        });
      }
      return after;
    });
  }

  rotateSecret(request: AdminRequest, id: string): Promise<EndpointWithSecret> {
    return this.audited(request, async (manager, record) => {
      const rotated = await this.endpoints.rotateSecret(manager, id);
      await record('webhook.secret_rotated', id, {
        after: { previous_secret_expires_at: rotated.overlapEndsAt.toISOString() },
      });
      return rotated;
    });
  }

  sendTest(request: AdminRequest, id: string): Promise<DeliveryView> {
    return this.audited(request, async (manager, record) => {
      const delivery = await this.endpoints.sendTest(manager, id);
      await record('webhook.test_sent', id, { after: { event_id: delivery.eventId } });
      return delivery;
    });
  }

  redeliver(request: AdminRequest, id: string, deliveryId: string): Promise<DeliveryView> {
    return this.audited(request, async (manager, record) => {
      const delivery = await this.endpoints.redeliver(manager, id, deliveryId);
      await record('webhook.redelivered', id, {
        after: { event_id: delivery.eventId, delivery_id: delivery.id },
      });
      return delivery;
    });
  }

  private audited<T>(
    { principal, client }: AdminRequest,
    work: (
      manager: EntityManager,
      record: (
        action: string,
        endpointId: string,
        details: { before?: AuditFields; after?: AuditFields },
      ) => Promise<void>,
    ) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction((manager) =>
      work(manager, (action, endpointId, details) =>
        this.audit.record(
          {
            actor: { userId: principal.userId, label: principal.user.username },
            action,
            target: { type: 'webhook', id: endpointId },
            client,
            ...details,
          },
          manager,
        ),
      ),
    );
  }
}
