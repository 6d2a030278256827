import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { WebhookEndpoint } from '../../webhooks/entities/webhook-endpoint.entity.js';
import type { DeliveryView } from '../../webhooks/webhook-endpoints.service.js';

const nullableTimestamp = (date: Date | null) => (date ? isoTimestamp(date) : null);
const ApiNullableTimestamp = () =>
  ApiProperty({ type: String, format: 'date-time', nullable: true, example: null });

export class WebhookEndpointResponseDto {
  /** @example "0b6f3c57-3f0e-4a8e-9a4f-1d2c3b4a5e6f" */
  id: string;

  /** @example "https://billing.whazz.audio/hooks/auth" */
  url: string;

  /** @example "Billing: closes subscriptions of deleted accounts" */
  description: string | null;

  /** Empty: every event type. @example ["user.created", "user.deleted"] */
  events: string[];

  enabled: boolean;

  /** `administrator`, or `failing` (a day of failed deliveries); null while enabled. */
  @ApiProperty({ enum: ['administrator', 'failing'], nullable: true, example: null })
  disabled_reason: 'administrator' | 'failing' | null;

  /** Until when the previous secret still signs too (after a rotation). */
  @ApiNullableTimestamp()
  previous_secret_expires_at: string | null;

  /** When the current streak of failed deliveries began; null after a success. */
  @ApiNullableTimestamp()
  failing_since: string | null;

  @ApiTimestamp()
  created_at: string;

  @ApiTimestamp()
  updated_at: string;

  static from(endpoint: WebhookEndpoint): WebhookEndpointResponseDto {
    return {
      id: endpoint.id,
      url: endpoint.url,
      description: endpoint.description,
      events: endpoint.events,
      enabled: endpoint.enabled,
      disabled_reason: endpoint.disabledReason,
      previous_secret_expires_at: nullableTimestamp(endpoint.previousSecretExpiresAt),
      failing_since: nullableTimestamp(endpoint.failingSince),
      created_at: isoTimestamp(endpoint.createdAt),
      updated_at: isoTimestamp(endpoint.updatedAt),
    };
  }
}

/** Answered once, at creation and at each rotation: the secret is never shown again. */
export class WebhookEndpointWithSecretResponseDto extends WebhookEndpointResponseDto {
  /**
   * Verifies `webhook-signature` (Standard Webhooks). Store it now.
   * @example "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
   */
  secret: string;

  static withSecret(endpoint: WebhookEndpoint, secret: string) {
    return { ...WebhookEndpointResponseDto.from(endpoint), secret };
  }
}

export class WebhookDeliveryResponseDto {
  /** @example "1042" */
  id: string;

  /** The event's id: the `webhook-id` header. @example "5f1d7c9e-2b1a-4c3d-8e9f-0a1b2c3d4e5f" */
  event_id: string;

  /** @example "user.updated" */
  event_type: string;

  /** The user the event concerns; null for `webhook.test`. */
  user_id: string | null;

  /** `pending` (waiting or retrying), `delivered`, or `failed` (given up). */
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  status: string;

  /** Attempts made so far. @example 1 */
  attempts: number;

  /** The receiver's HTTP status at the last attempt; null if none answered. @example 200 */
  response_status: number | null;

  /** Why the last attempt failed, in a few words. @example null */
  last_error: string | null;

  /** When a pending delivery is next tried. */
  @ApiTimestamp()
  next_attempt_at: string;

  @ApiNullableTimestamp()
  last_attempt_at: string | null;

  @ApiNullableTimestamp()
  delivered_at: string | null;

  @ApiTimestamp()
  created_at: string;

  static from(delivery: DeliveryView): WebhookDeliveryResponseDto {
    return {
      id: delivery.id,
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      user_id: delivery.userId,
      status: delivery.status,
      attempts: delivery.attempts,
      response_status: delivery.responseStatus,
      last_error: delivery.lastError,
      next_attempt_at: isoTimestamp(delivery.nextAttemptAt),
      last_attempt_at: nullableTimestamp(delivery.lastAttemptAt),
      delivered_at: nullableTimestamp(delivery.deliveredAt),
      created_at: isoTimestamp(delivery.createdAt),
    };
  }
}
