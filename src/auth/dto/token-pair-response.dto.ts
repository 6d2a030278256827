import type { TokenPair } from '../auth.service.js';

/** What a login or a refresh returns. */
export class TokenPairResponseDto {
  /** A JWT to send as `Authorization: Bearer <access_token>`. */
  access_token: string;

  /** Opaque; exchange it at `POST /auth/refresh` for a new pair. It works once. */
  refresh_token: string;

  /** Always `bearer`. */
  token_type: 'bearer';

  /** Seconds until the access token expires. @example 900 */
  expires_in: number;

  static from(pair: TokenPair): TokenPairResponseDto {
    return {
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      token_type: 'bearer',
      expires_in: pair.expiresIn,
    };
  }
}
