import { TokenPairResponseDto } from './token-pair-response.dto.js';

/** What a login returns: the token pair, and the device token when the client asked for one. */
export class LoginResponseDto extends TokenPairResponseDto {
  /**
   * Only when the login sent `device_token` or `request_device_token` (issue #20): identifies
   * this client to later logins, which send it back as `device_token`. It stays the same while
   * the device is known; keep it as safely as the refresh token.
   */
  device_token?: string;
}
