import { Equals, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { CurrentPassword } from '../../passwords/current-password.decorator.js';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { Identity } from '../entities/identity.entity.js';
import { Optional } from '../../common/validation/optional.decorator.js';

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
  @Optional()
  @IsString()
  @MaxLength(512)
  @NoNulCharacter()
  state?: string;

  /**
   * The app's PKCE challenge (RFC 7636): BASE64URL(SHA-256(code_verifier)). Required when
   * `redirect_uri` is not https (a custom scheme or loopback http, RFC 8252 §8.1): another app
   * may register the same scheme and catch the code, which then needs the verifier.
   * @example "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
   */
  @Optional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'must be a base64url SHA-256 (43 characters)' })
  code_challenge?: string;

  /** Only `S256`; required with `code_challenge`. @example "S256" */
  @ValidateIf((dto: AuthorizeQueryDto) => dto.code_challenge !== undefined)
  @Equals('S256', { message: 'must be S256' })
  code_challenge_method?: 'S256';
}

/** A linking started by a signed-in user: the sign-in's fields and the account's password. */
export class LinkProviderDto extends AuthorizeQueryDto {
  /**
   * The account's password, required when it has one: a stolen access token alone must not
   * add a way in. An account without one needs a sign-in of the last 5 minutes instead.
   */
  @Optional()
  @CurrentPassword()
  current_password?: string;
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export class CompleteLinkDto {
  /**
   * The `link_code` the redirect to the app carried: works once, for 60 seconds, and only with
   * the bearer token of the account that started linking.
   * @example "p5yq2m0H0b8C3rJwq0mT2b4J6pRzJ3Xx2Wc1L9a8kQ4"
   */
  @Matches(/^[A-Za-z0-9_-]{20,128}$/, { message: 'must be the link_code from the redirect' })
  code: string;

  /**
   * The PKCE verifier whose challenge went with linking's start, when one did.
   * @example "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
   */
  @Optional()
  @Matches(CODE_VERIFIER, { message: 'must be 43 to 128 unreserved characters' })
  code_verifier?: string;
}

export class LinkProviderResponseDto {
  /**
   * Open this in the browser; the provider returns to `redirect_uri` with a one-time
   * `link_code` (for POST /auth/oauth/link/complete) or `error=`.
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

  /**
   * The PKCE verifier (RFC 7636) whose `code_challenge` went with the authorize request, when
   * one did; required then.
   * @example "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
   */
  @Optional()
  @Matches(CODE_VERIFIER, { message: 'must be 43 to 128 unreserved characters' })
  code_verifier?: string;
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
