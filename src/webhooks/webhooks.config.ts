import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import {
  defineFeatureConfig,
  emptyAsUndefined,
  IntegerSetting,
  toBoolean,
  type SettingsContext,
} from '../config/feature-config.js';

/** The Standard Webhooks reference schedule (Svix's): about a day and a quarter in all. */
const DEFAULT_RETRY_DELAYS = '5,300,1800,7200,18000,36000,36000';

export class WebhooksVariables {
  /**
   * This instance delivers the outbox in the background. Off, it only writes events (an
   * instance kept for HTTP while others deliver); at least one instance must deliver.
   */
  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOKS_DELIVERY_ENABLED = true;

  /**
   * Deliver to private and loopback addresses (receivers inside the network). Link-local
   * (cloud metadata), 0.0.0.0/8 and :: stay refused; production warns at start.
   */
  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS = false;

  /** Seconds a receiver has to answer one delivery. */
  @IntegerSetting(1, 60)
  WEBHOOKS_TIMEOUT_SECONDS = 10;

  /**
   * How long a claimed delivery is held before another instance may send it again (an instance
   * that died mid-send). Longer than WEBHOOKS_TIMEOUT_SECONDS; unset: three timeouts and 30 s.
   */
  @Transform(emptyAsUndefined)
  @IsOptional()
  @IntegerSetting(2, 3600)
  WEBHOOKS_LEASE_SECONDS?: number;

  /** Comma-separated seconds to wait before each retry; after the last, the delivery fails. */
  @Matches(/^\s*\d{1,6}(\s*,\s*\d{1,6}){0,19}\s*$/, {
    message: 'must be 1 to 20 comma-separated numbers of seconds',
  })
  WEBHOOKS_RETRY_DELAYS_SECONDS = DEFAULT_RETRY_DELAYS;

  /** An endpoint that has failed every delivery for this long is disabled. */
  @IntegerSetting(1, 720)
  WEBHOOKS_DISABLE_AFTER_FAILING_HOURS = 24;

  /** After a secret rotation, deliveries are signed with the old secret too for this long. */
  @IntegerSetting(0, 720)
  WEBHOOKS_SECRET_OVERLAP_HOURS = 24;

  /** How often the outbox is looked at for deliveries that are due. */
  @IntegerSetting(50, 60_000)
  WEBHOOKS_POLL_INTERVAL_MS = 1000;

  /** Events whose deliveries all ended are kept this long (for the deliveries list), then pruned. */
  @IntegerSetting(1, 365)
  WEBHOOKS_RETENTION_DAYS = 30;
}

/** A lease shorter than the timeout would let a second instance send while the first waits. */
function resolveLeaseMs(env: WebhooksVariables, { problems }: SettingsContext): number {
  const timeoutMs = env.WEBHOOKS_TIMEOUT_SECONDS * 1000;
  if (env.WEBHOOKS_LEASE_SECONDS === undefined) return timeoutMs * 3 + 30_000;
  if (env.WEBHOOKS_LEASE_SECONDS <= env.WEBHOOKS_TIMEOUT_SECONDS) {
    problems.push('WEBHOOKS_LEASE_SECONDS: must be longer than WEBHOOKS_TIMEOUT_SECONDS');
  }
  return env.WEBHOOKS_LEASE_SECONDS * 1000;
}

/** Signed webhooks from a transactional outbox (issue #22). */
export const webhooksConfig = defineFeatureConfig({
  namespace: 'webhooks',
  title: 'Webhooks',
  variables: WebhooksVariables,
  settings: (env, context) => ({
    deliveryEnabled: env.WEBHOOKS_DELIVERY_ENABLED,
    allowPrivateNetworks: env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
    timeoutMs: env.WEBHOOKS_TIMEOUT_SECONDS * 1000,
    leaseMs: resolveLeaseMs(env, context),
    retryDelaysMs: env.WEBHOOKS_RETRY_DELAYS_SECONDS.split(',').map(
      (seconds) => Number(seconds.trim()) * 1000,
    ),
    disableAfterFailingMs: env.WEBHOOKS_DISABLE_AFTER_FAILING_HOURS * 60 * 60 * 1000,
    secretOverlapMs: env.WEBHOOKS_SECRET_OVERLAP_HOURS * 60 * 60 * 1000,
    pollIntervalMs: env.WEBHOOKS_POLL_INTERVAL_MS,
    retentionMs: env.WEBHOOKS_RETENTION_DAYS * 24 * 60 * 60 * 1000,
  }),
});

export type WebhooksConfig = ReturnType<typeof webhooksConfig.settings>;
