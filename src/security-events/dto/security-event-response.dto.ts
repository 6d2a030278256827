import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import { SECURITY_EVENT_TYPES, type SecurityEvent } from '../entities/security-event.entity.js';

/** One thing that happened to the account's security. */
export class SecurityEventResponseDto {
  id: string;

  /** @example "login_failed" */
  type: (typeof SECURITY_EVENT_TYPES)[number];

  /** Why, for failures, e.g. `wrong_password`. */
  reason: string | null;

  /** The client address, as the service saw it (see TRUST_PROXY). */
  ip_address: string | null;

  user_agent: string | null;

  /** The id the service gave the request that caused it: that answer's X-Request-Id header. */
  request_id: string | null;

  /**
   * For an administrator's action: their username, when the service is configured to show it
   * (ADMIN_IDENTITY_VISIBLE_TO_USERS); null otherwise.
   */
  administrator: string | null;

  @ApiTimestamp()
  created_at: string;

  static from(event: SecurityEvent): SecurityEventResponseDto {
    return {
      id: event.id,
      type: event.type,
      reason: event.reason,
      ip_address: event.ipAddress,
      user_agent: event.userAgent,
      request_id: event.requestId,
      administrator: event.administrator,
      created_at: isoTimestamp(event.createdAt),
    };
  }
}

/** A page of events, newest first. */
export class SecurityEventPageResponseDto {
  events: SecurityEventResponseDto[];

  /** Pass as `cursor` to get the next, older page; null when there is none. */
  next_cursor: string | null;
}
