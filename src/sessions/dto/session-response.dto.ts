import type { Session } from '../entities/session.entity.js';

/** One signed-in device. */
export class SessionResponseDto {
  id: string;

  /** The User-Agent of the client that last used this session. */
  user_agent: string | null;

  /** The client address that last used this session. */
  ip_address: string | null;

  created_at: Date;

  /** When its refresh token was last exchanged (or the login, if never). */
  last_used_at: Date;

  /** When it ends unless refreshed again. */
  expires_at: Date;

  /** True for the session of the access token that made this request. */
  current: boolean;

  static from(session: Session, currentSessionId: string): SessionResponseDto {
    return {
      id: session.id,
      user_agent: session.userAgent,
      ip_address: session.ipAddress,
      created_at: session.createdAt,
      last_used_at: session.lastUsedAt,
      expires_at: session.expiresAt,
      current: session.id === currentSessionId,
    };
  }
}
