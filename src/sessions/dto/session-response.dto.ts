import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { Session } from '../entities/session.entity.js';

/** One signed-in device. */
export class SessionResponseDto {
  id: string;

  /** The User-Agent of the client that last used this session. */
  user_agent: string | null;

  /** The client address that last used this session. */
  ip_address: string | null;

  @ApiTimestamp()
  created_at: string;

  /** When its refresh token was last exchanged (or the login, if never). */
  @ApiTimestamp()
  last_used_at: string;

  /** When it ends unless refreshed again. */
  @ApiTimestamp()
  expires_at: string;

  /** True for the session of the access token that made this request. */
  current: boolean;

  /**
   * Opened by an administrator acting as you, for support (issue #19); it ends within the
   * hour, and you can end it now like any other.
   */
  impersonated: boolean;

  /**
   * That administrator's username, when the service is configured to show it
   * (ADMIN_IDENTITY_VISIBLE_TO_USERS); null otherwise.
   */
  impersonator: string | null;

  /**
   * How its login authenticated (RFC 8176): `pwd`, plus `otp` with a second factor. Empty
   * for a session an administrator opened.
   * @example ["pwd","otp"]
   */
  amr: string[];

  /** When that login authenticated; refreshes keep it. */
  @ApiTimestamp()
  auth_time: string;

  static from(session: Session, currentSessionId: string): SessionResponseDto {
    return {
      id: session.id,
      user_agent: session.userAgent,
      ip_address: session.ipAddress,
      created_at: isoTimestamp(session.createdAt),
      last_used_at: isoTimestamp(session.lastUsedAt),
      expires_at: isoTimestamp(session.expiresAt),
      current: session.id === currentSessionId,
      impersonated: session.impersonated,
      impersonator: session.impersonator?.username ?? null,
      amr: session.authMethods,
      auth_time: isoTimestamp(session.authenticatedAt),
    };
  }
}
