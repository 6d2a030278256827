import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookDeliveryStatus,
} from '../../webhooks/entities/webhook-delivery.entity.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/webhook-events.js';

/** What an endpoint may subscribe to; `webhook.test` is sent on request only. */
export const SUBSCRIBABLE_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter(
  (type) => type !== 'webhook.test',
);

/**
 * A delivery id as PostgreSQL's bigint holds it: at most 18 digits, so a longer one is a 422
 * rather than an out-of-range error (22003) from the database.
 */
export const DELIVERY_ID = /^[1-9][0-9]{0,17}$/;

/** http(s), absolute, no user name or password in it (they would be stored and shown). */
const WebhookUrl = () => (target: object, key: string | symbol) => {
  IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
      disallow_auth: true,
    },
    { message: 'must be an http or https URL without credentials' },
  )(target, key);
  MaxLength(2048, { message: 'must be at most 2048 characters' })(target, key);
  IsString()(target, key);
};

export class CreateWebhookEndpointDto {
  /** Where events are POSTed. @example "https://billing.whazz.audio/hooks/auth" */
  @WebhookUrl()
  url: string;

  /**
   * Event types to deliver; omitted or empty: every type.
   * @example ["user.created", "user.deleted"]
   */
  @IsOptional()
  @IsIn(SUBSCRIBABLE_EVENT_TYPES, { each: true, message: 'must each be a known event type' })
  @ArrayMaxSize(32)
  @IsArray()
  events?: string[];

  /** For administrators' eyes. @example "Billing: closes subscriptions of deleted accounts" */
  @IsOptional()
  @NoNulCharacter()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @IsString()
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @IsOptional()
  @WebhookUrl()
  url?: string;

  /** Replaces the list; empty: every type. @example ["user.updated"] */
  @IsOptional()
  @IsIn(SUBSCRIBABLE_EVENT_TYPES, { each: true, message: 'must each be a known event type' })
  @ArrayMaxSize(32)
  @IsArray()
  events?: string[];

  /** Null removes it. */
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @NoNulCharacter()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @IsString()
  description?: string | null;

  /** `false` disables it (events meanwhile are not queued for it); `true` enables it again. */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class ListWebhookDeliveriesQueryDto {
  /** Only deliveries in this state. */
  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES, { message: 'must be pending, delivered or failed' })
  status?: WebhookDeliveryStatus;

  /** Deliveries older than this delivery id: the next page. @example "1042" */
  @IsOptional()
  @Matches(DELIVERY_ID, { message: 'must be a delivery id' })
  before?: string;

  /** Deliveries per page. @example 50 */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  @Max(200, { message: 'must be at most 200' })
  limit?: number;
}
