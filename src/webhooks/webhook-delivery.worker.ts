import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { runPeriodically } from '../platform/periodic-task.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WebhookSecretsService } from './webhook-secrets.service.js';
import { sendWebhook, type SendOutcome } from './webhook-sender.js';
import type { WebhooksConfig } from './webhooks.config.js';

/** A delivery this instance holds the lease of. */
interface ClaimedDelivery {
  id: string;
  attempts: number;
  /** The lease's end as PostgreSQL wrote it (text keeps its microseconds): the claim's proof. */
  lease: string;
  url: string;
  event_id: string;
  type: string;
  data: Record<string, unknown>;
  occurred_at: Date;
  endpoint_id: string;
  /** What `last_attempt_at` was before this claim: put back when nothing was sent. */
  previous_attempt_at: Date | null;
}

/** Deliveries sent at once by one instance; a full batch is followed by the next at once. */
const BATCH = 16;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/**
 * A delivery whose endpoint secret does not open (its key missing from configuration) waits
 * this long and is tried again, uncounted: an operator's slip must not use up the retries or
 * disable the endpoint (issue #22 review).
 */
export const SECRET_UNAVAILABLE_DELAY_MS = 30_000;

/**
 * Sends the outbox in the background (issue #22): at least once, in order per user and
 * endpoint, with retries on WEBHOOKS_RETRY_DELAYS_SECONDS. A delivery is claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease longer than the timeout, so instances never send one
 * at the same time; one that died mid-send leaves a lease that runs out, and the delivery is
 * sent again (receivers de-duplicate by `webhook-id`).
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private readonly settings: WebhooksConfig;
  private readonly leaseMs: number;
  private stops: (() => void)[] = [];
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly endpoints: WebhookEndpointsService,
    private readonly secrets: WebhookSecretsService,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('webhooks', { infer: true });
    this.leaseMs = this.settings.leaseMs;
  }

  onApplicationBootstrap(): void {
    if (!this.settings.deliveryEnabled) return;
    this.stops = [
      runPeriodically(
        'delivering webhooks',
        this.settings.pollIntervalMs,
        () => this.deliverDue(),
        this.logger,
      ),
      runPeriodically('pruning webhook events', PRUNE_EVERY_MS, () => this.prune(), this.logger),
    ];
  }

  /** Before the database closes: no new round, and the one in flight finishes (timeout-bound). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.stops.forEach((stop) => stop());
    // A round that failed (the database going away) must not fail the shutdown.
    await this.running?.catch((error: unknown) =>
      this.logger.warn({ msg: 'last webhook round failed', err: error }),
    );
  }

  /** One round at a time per instance: a slow receiver does not pile rounds up. */
  deliverDue(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.deliverRounds().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deliverRounds(): Promise<void> {
    let claimed: ClaimedDelivery[];
    do {
      claimed = await this.claim();
      await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    } while (claimed.length === BATCH && !this.stopped);
  }

  /**
   * The oldest due deliveries whose user has nothing earlier still pending to the same
   * endpoint (in flight, or waiting for a retry), and whose endpoint is enabled. Rows another
   * instance is claiming are skipped; the lease keeps them from being claimed again.
   */
  private async claim(): Promise<ClaimedDelivery[]> {
    return this.dataSource.query<ClaimedDelivery[]>(
      `WITH due AS (
         SELECT d.id, d.last_attempt_at AS previous_attempt_at FROM webhook_deliveries d
         JOIN webhook_endpoints endpoint ON endpoint.id = d.endpoint_id AND endpoint.enabled
         WHERE d.status = 'pending' AND d.next_attempt_at <= now()
           AND (d.locked_until IS NULL OR d.locked_until <= now())
           AND (d.user_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM webhook_deliveries earlier
             WHERE earlier.endpoint_id = d.endpoint_id AND earlier.user_id = d.user_id
               AND earlier.status = 'pending' AND earlier.id < d.id))
         ORDER BY d.id
         LIMIT $1
         FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d
         SET locked_until = now() + $2 * interval '1 millisecond',
             attempts = d.attempts + 1, last_attempt_at = now()
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.attempts, d.locked_until::text AS lease, d.event_id, d.endpoint_id,
           due.previous_attempt_at
       )
       SELECT claimed.*, endpoint.url, event.type, event.data, event.occurred_at
       FROM claimed
       JOIN webhook_endpoints endpoint ON endpoint.id = claimed.endpoint_id
       JOIN webhook_events event ON event.id = claimed.event_id
       ORDER BY claimed.id`,
      [BATCH, this.leaseMs],
    );
  }

  /**
   * Never rejects: whatever throws, the delivery is settled as a failed attempt (retried or
   * given up) rather than kept under a lease that is re-claimed forever (issue #22 review).
   */
  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const secrets = await this.openSecrets(delivery);
    try {
      if (secrets === undefined) await this.postpone(delivery);
      else await this.settle(delivery, await this.sendSafely(delivery, secrets));
    } catch (error) {
      // The database is away: the lease runs out and the delivery is claimed again.
      this.logger.error({
        msg: 'webhook delivery not settled',
        delivery_id: delivery.id,
        err: error,
      });
    }
  }

  private async sendSafely(delivery: ClaimedDelivery, secrets: string[]): Promise<SendOutcome> {
    try {
      return await this.send(delivery, secrets);
    } catch (error) {
      this.logger.error({ msg: 'webhook delivery threw', delivery_id: delivery.id, err: error });
      return { delivered: false, status: null, error: 'delivery failed' };
    }
  }

  /** Undefined when they do not open: a key missing from configuration, not the receiver's fault. */
  private async openSecrets(delivery: ClaimedDelivery): Promise<string[] | undefined> {
    try {
      return await this.secrets.signingSecrets(delivery.endpoint_id);
    } catch (error) {
      this.logger.warn({
        msg: 'webhook secret does not open: delivery postponed, not counted as an attempt',
        endpoint_id: delivery.endpoint_id,
        delivery_id: delivery.id,
        reason: error instanceof Error ? error.message : 'unknown',
      });
      return undefined;
    }
  }

  /**
   * Nothing was sent: the claim's attempt is taken back and the lease released, and the
   * endpoint's failure clock is left alone; tried again after SECRET_UNAVAILABLE_DELAY_MS.
   */
  private async postpone(delivery: ClaimedDelivery): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET attempts = attempts - 1, last_attempt_at = $3,
         locked_until = NULL, last_error = 'signing secret unavailable',
         next_attempt_at = now() + $4 * interval '1 millisecond'
       WHERE id = $1 AND locked_until = $2::timestamptz`,
      [delivery.id, delivery.lease, delivery.previous_attempt_at, SECRET_UNAVAILABLE_DELAY_MS],
    );
  }

  private send(delivery: ClaimedDelivery, secrets: string[]): Promise<SendOutcome> {
    const body = JSON.stringify({
      type: delivery.type,
      timestamp: delivery.occurred_at.toISOString(),
      data: delivery.data,
    });
    return sendWebhook(delivery.url, { id: delivery.event_id, body, secrets }, this.settings);
  }

  /**
   * Only while this instance still holds the lease: after it ran out, another instance may
   * have sent the delivery again, and its outcome is the one kept.
   */
  private async settle(delivery: ClaimedDelivery, outcome: SendOutcome): Promise<void> {
    const lease = [delivery.id, delivery.lease];
    if (outcome.delivered) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(),
           response_status = $3, last_error = NULL, locked_until = NULL
         WHERE id = $1 AND locked_until = $2::timestamptz`,
        [...lease, outcome.status],
      );
      await this.endpoints.recordSuccess(delivery.endpoint_id);
      return;
    }
    const delay = this.settings.retryDelaysMs[delivery.attempts - 1];
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET response_status = $3, last_error = $4, locked_until = NULL,
         status = CASE WHEN $5::int IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = now() + coalesce($5::int, 0) * interval '1 millisecond'
       WHERE id = $1 AND locked_until = $2::timestamptz`,
      [...lease, outcome.status, outcome.error, delay ?? null],
    );
    this.logger.warn({
      msg: 'webhook delivery failed',
      delivery_id: delivery.id,
      endpoint_id: delivery.endpoint_id,
      attempt: delivery.attempts,
      status: outcome.status,
      error: outcome.error,
      gave_up: delay === undefined,
    });
    await this.endpoints.recordFailure(delivery.endpoint_id);
  }

  /**
   * Events past the retention whose deliveries all ended (deliveries go with them). A disabled
   * endpoint's deliveries would wait forever: past the retention they fail, so their events go.
   */
  async prune(): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries d
       SET status = 'failed', last_error = 'endpoint disabled', locked_until = NULL
       FROM webhook_endpoints endpoint, webhook_events event
       WHERE endpoint.id = d.endpoint_id AND NOT endpoint.enabled
         AND event.id = d.event_id AND d.status = 'pending'
         AND event.occurred_at < now() - $1 * interval '1 millisecond'`,
      [this.settings.retentionMs],
    );
    await this.dataSource.query(
      `DELETE FROM webhook_events event
       WHERE event.occurred_at < now() - $1 * interval '1 millisecond'
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                         WHERE d.event_id = event.id AND d.status = 'pending')`,
      [this.settings.retentionMs],
    );
  }
}
