import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { Identity } from '../entities/identity.entity.js';

/** Where the sign-in returns to, and what the app wants back. */
export class AuthorizeQueryDto {
  /**
   * The app URL to return to: exactly one of `OAUTH_REDIRECT_URIS` (no trailing-slash or case
   * leniency).
   * @example "https://app.whazz.audio/oauth/done"
   */
  @IsString()
  @MaxLength(2048)
  @NoNulCharacter()
  redirect_uri: string;

  /**
   * The app's own value, returned unchanged as `state` in the redirect to `redirect_uri`: the
   * app checks it to know the sign-in is the one it started.
   * @example "k3J9x0v2"
   */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @NoNulCharacter()
  state?: string;
}

/** A linking started by a signed-in user; the same fields as the sign-in's query. */
export class LinkProviderDto extends AuthorizeQueryDto {}

export class LinkProviderResponseDto {
  /**
   * Open this in the browser; the provider returns to `redirect_uri` with `linked=<provider>`
   * or `error=`.
   * @example "https://accounts.google.com/o/oauth2/v2/auth?client_id=...&state=..."
   */
  authorization_url: string;
}

export class OAuthTokenDto {
  /**
   * The `code` the redirect to the app carried: works once, for 60 seconds.
   * @example "p5yq2m0H0b8C3rJwq0mT2b4J6pRzJ3Xx2Wc1L9a8kQ4"
   */
  @Matches(/^[A-Za-z0-9_-]{20,128}$/, { message: 'must be the code from the redirect' })
  code: string;
}

/** A provider account that signs the user in. */
export class IdentityResponseDto {
  /** @example "6a1e4a0e-2f6b-4f39-8d7e-3b2a1c0d9e8f" */
  id: string;

  /** The configured provider name. @example "google" */
  provider: string;

  /** The address the provider gave at the last sign-in, if any. @example "alice@gmail.com" */
  email: string | null;

  /** Whether the provider said it verified `email`. */
  email_verified: boolean;

  @ApiTimestamp()
  created_at: string;

  @ApiTimestamp()
  last_used_at: string;

  static from(identity: Identity): IdentityResponseDto {
    return {
      id: identity.id,
      provider: identity.provider,
      email: identity.email,
      email_verified: identity.emailVerified,
      created_at: isoTimestamp(identity.createdAt),
      last_used_at: isoTimestamp(identity.lastUsedAt),
    };
  }
}
