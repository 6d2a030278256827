import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import { SecurityEventResponseDto } from '../../security-events/dto/security-event-response.dto.js';
import type { SecurityEvent } from '../../security-events/entities/security-event.entity.js';
import { SessionResponseDto } from '../../sessions/dto/session-response.dto.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import { UserResponseDto, type UserView } from '../../users/dto/user-response.dto.js';
import type { User } from '../../users/entities/user.entity.js';

/** What the admin views read of an account; never its password hash. */
export type AdminUserView = UserView & Pick<User, 'disabledUntil'> & { roles: readonly string[] };

/** An account as administrators see it: the public view, its ban and its roles. */
export class AdminUserResponseDto extends UserResponseDto {
  /** When a ban lifts by itself; null when not disabled, or disabled until enabled. */
  @ApiTimestamp()
  disabled_until: string | null;

  /** @example ["support"] */
  roles: string[];

  static override from(user: AdminUserView): AdminUserResponseDto {
    return {
      ...UserResponseDto.from(user),
      disabled_until: user.disabledUntil ? isoTimestamp(user.disabledUntil) : null,
      roles: [...user.roles],
    };
  }
}

/** A page of accounts. */
export class AdminUserPageResponseDto {
  users: AdminUserResponseDto[];

  /** Pass as `cursor` (with the same filters and order) for the next page; null at the end. */
  next_cursor: string | null;
}

/** One account with its active sessions and its most recent security events. */
export class AdminUserDetailResponseDto extends AdminUserResponseDto {
  sessions: SessionResponseDto[];

  /** The newest first; the rest at the user's own `GET /auth/events`. */
  recent_events: SecurityEventResponseDto[];

  static detail(
    user: AdminUserView,
    sessions: Session[],
    events: SecurityEvent[],
  ): AdminUserDetailResponseDto {
    return {
      ...AdminUserResponseDto.from(user),
      // No session is the administrator's own here.
      sessions: sessions.map((session) => SessionResponseDto.from(session, '')),
      recent_events: events.map((event) => SecurityEventResponseDto.from(event)),
    };
  }
}

/** What ending the sessions did. */
export class SessionsRevokedResponseDto {
  /** How many sessions were live and are now ended. */
  sessions_revoked: number;
}

export class MfaResetResponseDto {
  /**
   * The second-factor methods the account had, now removed.
   * @example ["totp", "recovery_code"]
   */
  removed_methods: string[];

  /** How many sessions were live and are now ended. */
  sessions_revoked: number;
}
