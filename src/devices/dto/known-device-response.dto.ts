import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { DeviceWithSessions } from '../../sessions/sessions.service.js';

/** A device the account knows (issue #20): a client a login handed a device token to. */
export class KnownDeviceResponseDto {
  id: string;

  /** The ids of its active sessions (as `GET /auth/sessions` lists them); forgetting it ends them. */
  session_ids: string[];

  /** The User-Agent of the last login from it. */
  user_agent: string | null;

  /** The client address of the last login from it. */
  ip_address: string | null;

  /** Its first login. */
  @ApiTimestamp()
  first_login_at: string;

  /** Its last login. */
  @ApiTimestamp()
  last_login_at: string;

  /** When it is forgotten unless it logs in again. */
  @ApiTimestamp()
  expires_at: string;

  /** Until when a login from it skips the second factor ("remember this device"); else null. */
  @ApiTimestamp()
  remembered_until: string | null;

  static from({ device, sessionIds }: DeviceWithSessions): KnownDeviceResponseDto {
    const remembered = device.rememberedUntil && device.rememberedUntil > new Date();
    return {
      id: device.id,
      session_ids: sessionIds,
      user_agent: device.userAgent,
      ip_address: device.ipAddress,
      first_login_at: isoTimestamp(device.createdAt),
      last_login_at: isoTimestamp(device.lastUsedAt),
      expires_at: isoTimestamp(device.expiresAt),
      remembered_until: remembered ? isoTimestamp(device.rememberedUntil!) : null,
    };
  }
}
