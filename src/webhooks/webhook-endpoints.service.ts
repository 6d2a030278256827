import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Not, type EntityManager, type Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { RequestValidationError } from '../common/problem.exception.js';
import type { Configuration } from '../config/configuration.js';
import { WebhookDelivery, type WebhookDeliveryStatus } from './entities/webhook-delivery.entity.js';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity.js';
import { WebhookEvent } from './entities/webhook-event.entity.js';
import { assertAllowedDestination, DestinationRefusedError } from './webhook-destination.js';
import { newWebhookSecret, WebhookSecretsService } from './webhook-secrets.service.js';
import type { WebhooksConfig } from './webhooks.config.js';
import {
  WebhookDeliveryNotFoundError,
  WebhookDestinationRefusedError,
  WebhookEndpointNotFoundError,
} from './webhooks.errors.js';

export interface NewWebhookEndpoint {
  url: string;
  events?: string[];
  description?: string | null;
}

export interface WebhookEndpointChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** An endpoint and, right after its creation or rotation only, its secret. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  secret: string;
}

export interface DeliveryView extends WebhookDelivery {
  eventType: string;
}

export interface DeliveryFilters {
  status?: WebhookDeliveryStatus;
  /** Deliveries older than this id (the page before). */
  before?: string;
  limit: number;
}

/**
 * The endpoints that receive events, their secrets and deliveries (issue #22). Changes run in
 * the caller's transaction (`manager`) so the admin API audits them in the same one.
 */
@Injectable()
export class WebhookEndpointsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookEndpointsService.name);
  private readonly settings: WebhooksConfig;
  private readonly production: boolean;

  constructor(
    @InjectRepository(WebhookEndpoint) private readonly endpoints: Repository<WebhookEndpoint>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly secrets: WebhookSecretsService,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('webhooks', { infer: true });
    this.production = config.get('app', { infer: true }).environment === 'production';
  }

  /** Allowed on purpose (receivers inside the network), but never silently in production. */
  onApplicationBootstrap(): void {
    if (this.production && this.settings.allowPrivateNetworks) {
      this.logger.warn(
        'WEBHOOKS_ALLOW_PRIVATE_NETWORKS is on: webhooks may reach private and loopback addresses (link-local stays refused)',
      );
    }
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.endpoints.find({ order: { createdAt: 'ASC' } });
  }

  async get(id: string, manager: EntityManager = this.endpoints.manager): Promise<WebhookEndpoint> {
    const endpoint = await manager.findOneBy(WebhookEndpoint, { id });
    if (!endpoint) throw new WebhookEndpointNotFoundError();
    return endpoint;
  }

  async create(manager: EntityManager, input: NewWebhookEndpoint): Promise<EndpointWithSecret> {
    await this.assertDestination(input.url);
    const secret = newWebhookSecret();
    const id = randomUUID();
    const sealed = await this.secrets.seal(manager, id, secret);
    await manager.insert(WebhookEndpoint, {
      id,
      url: input.url,
      events: [...new Set(input.events ?? [])].sort(),
      description: input.description ?? null,
      secret: sealed.secret,
      secretKeyId: sealed.keyId,
    });
    return { endpoint: await this.get(id, manager), secret };
  }

  /** The endpoint before and after; re-enabling clears why it was disabled. */
  async update(
    manager: EntityManager,
    id: string,
    changes: WebhookEndpointChanges,
  ): Promise<{ before: WebhookEndpoint; after: WebhookEndpoint }> {
    const before = await this.lock(manager, id);
    if (changes.url !== undefined) await this.assertDestination(changes.url);
    const columns: Partial<WebhookEndpoint> = {};
    if (changes.url !== undefined) columns.url = changes.url;
    if (changes.events !== undefined) columns.events = [...new Set(changes.events)].sort();
    if (changes.description !== undefined) columns.description = changes.description;
    if (changes.enabled !== undefined && changes.enabled !== before.enabled) {
      columns.enabled = changes.enabled;
      columns.disabledReason = changes.enabled ? null : 'administrator';
      // A fresh start: the day of failures that disables it counts again from now.
      columns.failingSince = null;
    }
    if (Object.keys(columns).length > 0) await manager.update(WebhookEndpoint, { id }, columns);
    return { before, after: await this.get(id, manager) };
  }

  /**
   * A new secret; the old one keeps signing (beside it) for WEBHOOKS_SECRET_OVERLAP_HOURS, so
   * receivers can switch without refusing a delivery. The old one moves as it is stored: sealed
   * for the same endpoint, it needs no opening.
   */
  async rotateSecret(
    manager: EntityManager,
    id: string,
  ): Promise<EndpointWithSecret & { overlapEndsAt: Date }> {
    const current = await manager
      .createQueryBuilder(WebhookEndpoint, 'endpoint')
      .addSelect(['endpoint.secret', 'endpoint.secretKeyId'])
      .where('endpoint.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
    if (!current) throw new WebhookEndpointNotFoundError();
    const secret = newWebhookSecret();
    const sealed = await this.secrets.seal(manager, id, secret);
    const overlapEndsAt = new Date(Date.now() + this.settings.secretOverlapMs);
    await manager.update(
      WebhookEndpoint,
      { id },
      {
        secret: sealed.secret,
        secretKeyId: sealed.keyId,
        previousSecret: current.secret,
        previousSecretKeyId: current.secretKeyId,
        previousSecretExpiresAt: overlapEndsAt,
      },
    );
    return { endpoint: await this.get(id, manager), secret, overlapEndsAt };
  }

  /** A `webhook.test` event for this endpoint alone, delivered like any other. */
  async sendTest(manager: EntityManager, id: string): Promise<DeliveryView> {
    await this.get(id, manager);
    const eventId = randomUUID();
    await manager.insert(WebhookEvent, {
      id: eventId,
      type: 'webhook.test',
      userId: null,
      data: { endpoint_id: id },
    });
    return this.queue(manager, eventId, id, null);
  }

  /** Queues the delivery's event to its endpoint again, as a new delivery (at the queue's end). */
  async redeliver(manager: EntityManager, id: string, deliveryId: string): Promise<DeliveryView> {
    await this.get(id, manager);
    const delivery = await manager.findOneBy(WebhookDelivery, { id: deliveryId, endpointId: id });
    if (!delivery) throw new WebhookDeliveryNotFoundError();
    return this.queue(manager, delivery.eventId, id, delivery.userId);
  }

  /** Newest first. */
  async deliveries(id: string, filters: DeliveryFilters): Promise<DeliveryView[]> {
    await this.get(id);
    const query = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('delivery')
      .innerJoinAndSelect('delivery.event', 'event')
      .where('delivery.endpointId = :id', { id });
    if (filters.status) query.andWhere('delivery.status = :status', { status: filters.status });
    if (filters.before) query.andWhere('delivery.id < :before', { before: filters.before });
    const rows = await query.orderBy('delivery.id', 'DESC').take(filters.limit).getMany();
    return rows.map((row) => ({ ...row, eventType: row.event!.type }));
  }

  /** A success ends the endpoint's failing streak. */
  async recordSuccess(id: string): Promise<void> {
    await this.endpoints.update({ id, failingSince: Not(IsNull()) }, { failingSince: null });
  }

  /**
   * Counts a failure; the first of a streak starts it. An endpoint whose streak has lasted
   * WEBHOOKS_DISABLE_AFTER_FAILING_HOURS is disabled, audited as done by `system`. The row is
   * locked: of instances failing at once, one disables and audits.
   */
  async recordFailure(id: string): Promise<void> {
    const disabled = await this.dataSource.transaction(async (manager) => {
      const endpoint = await manager.findOne(WebhookEndpoint, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!endpoint?.enabled) return false;
      if (endpoint.failingSince === null) {
        await manager.update(WebhookEndpoint, { id }, { failingSince: new Date() });
        return false;
      }
      if (Date.now() - endpoint.failingSince.getTime() < this.settings.disableAfterFailingMs) {
        return false;
      }
      await manager.update(WebhookEndpoint, { id }, { enabled: false, disabledReason: 'failing' });
      await this.audit.record(
        {
          actor: { userId: null, label: 'system' },
          action: 'webhook.disabled',
          target: { type: 'webhook', id },
          before: { enabled: true },
          after: { enabled: false, disabled_reason: 'failing' },
          reason: `every delivery failed since ${endpoint.failingSince.toISOString()}`,
        },
        manager,
      );
      return true;
    });
    if (disabled) this.logger.warn({ msg: 'webhook endpoint disabled: failing', endpoint_id: id });
  }

  private async queue(
    manager: EntityManager,
    eventId: string,
    endpointId: string,
    userId: string | null,
  ): Promise<DeliveryView> {
    const event = await manager.findOneBy(WebhookEvent, { id: eventId });
    if (!event) throw new WebhookDeliveryNotFoundError();
    const { identifiers } = await manager.insert(WebhookDelivery, { eventId, endpointId, userId });
    const delivery = await manager.findOneByOrFail(WebhookDelivery, {
      id: String(identifiers[0]!.id),
    });
    return { ...delivery, eventType: event.type };
  }

  private async lock(manager: EntityManager, id: string): Promise<WebhookEndpoint> {
    const endpoint = await manager.findOne(WebhookEndpoint, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!endpoint) throw new WebhookEndpointNotFoundError();
    return endpoint;
  }

  /**
   * Refused (422) when not public, or with WEBHOOKS_ALLOW_PRIVATE_NETWORKS when link-local;
   * checked again at every delivery.
   */
  private async assertDestination(url: string): Promise<void> {
    const target = parsedUrl(url);
    try {
      await assertAllowedDestination(target, this.settings.allowPrivateNetworks);
    } catch (error) {
      if (error instanceof DestinationRefusedError) {
        throw new WebhookDestinationRefusedError(error.message);
      }
      throw new WebhookDestinationRefusedError('its host name does not resolve');
    }
  }
}

/**
 * The URL as delivery will parse it (WHATWG), whatever the setting: the DTO's check accepts
 * some the parser refuses (`http://[fe80::1%eth0]/`), which could never be delivered.
 */
function parsedUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new RequestValidationError([
      { field: 'url', message: 'must be an http or https URL without credentials' },
    ]);
  }
}
