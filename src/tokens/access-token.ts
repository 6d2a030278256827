import type { IncomingHttpHeaders } from 'node:http';
import type { User } from '../users/entities/user.entity.js';

/** Claims of our access tokens besides the registered iss/aud/iat/exp. */
export interface AccessTokenClaims {
  /** The user id. */
  sub: string;
  /** The session the token was issued to; revoking it kills the token. */
  sid: string;
  jti: string;
  /**
   * The roles the user held when the token was issued, for other services (issue #19): true
   * for the token's life only. This service never reads it: it checks permissions afresh.
   * Absent from tokens issued before roles existed.
   */
  roles?: string[];
  /**
   * RFC 8693 §4.1 actor: on tokens of a session an administrator opened as the user
   * (issue #19), `sub` names that administrator. Nothing else is put there.
   */
  act?: { sub: string };
  /**
   * RFC 8176 authentication method references of the session's login: `["pwd"]`, or
   * `["pwd","otp"]` after a second factor (a recovery code counts as `otp`, issue #20).
   * Absent from tokens issued before second factors, and from impersonated sessions' tokens.
   */
  amr?: string[];
  /** OIDC Core §2: when that login authenticated, in seconds; kept across refreshes. */
  auth_time?: number;
  /**
   * Present (true) only on tokens of a session that must enrol a second factor first
   * (MFA_REQUIRED_ROLES, issue #20): they reach the enrolment routes and nothing else. A
   * claim, so the bearer guard enforces it from the token, with no database read.
   */
  mfa_enrolment_required?: true;
}

/** The claims of a token whose signature, issuer, audience and dates have been checked. */
export type VerifiedClaims = AccessTokenClaims & { exp: number; iat: number };

/**
 * How far apart the clocks of two instances may be: a token issued by one whose clock is a
 * little ahead is not "issued in the future" on another.
 */
export const CLOCK_SKEW_SECONDS = 5;

/**
 * Both `exp` and `iat` present, and `iat` not in the future. jose (like jsonwebtoken before
 * it) checks `exp` only when it is there and never compares `iat` with the clock: a token without `exp` would never expire, and one
 * without `iat` (or issued in the future) cannot be placed in the window whose revocations
 * memory holds (issue #18). Our tokens always carry both.
 */
export function hasValidLifetime(
  claims: { exp?: unknown; iat?: unknown },
  nowSeconds = Math.floor(Date.now() / 1000),
): claims is { exp: number; iat: number } {
  const { exp, iat } = claims;
  return (
    typeof exp === 'number' &&
    typeof iat === 'number' &&
    Number.isFinite(exp) &&
    Number.isFinite(iat) &&
    iat <= nowSeconds + CLOCK_SKEW_SECONDS
  );
}

/** Who made an authenticated request: what guards put on `request.user`. */
export interface Principal {
  userId: string;
  sessionId: string;
  tokenId: string;
  /** Loaded while authenticating (the account must be active), so handlers need not reload it. */
  user: User;
  /** The administrator acting as the user (the token's `act.sub`); absent for the user's own. */
  actor?: string;
  /** The token's `amr` (empty when absent): what step-up reads, with no database read. */
  authMethods: readonly string[];
  /** The token's `auth_time`, in seconds. */
  authTime?: number;
  /** The token's `mfa_enrolment_required`: only the enrolment routes are open to it. */
  mfaEnrolmentRequired?: true;
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 2.1, the scheme in any case),
 * or null: the bearer guard's one reading. passport-jwt's extractor runs a regular
 * expression over the whole token, about 1.5 µs of every authenticated request (issue #3).
 */
export function bearerTokenOf(request: { headers: IncomingHttpHeaders }): string | null {
  const header = request.headers.authorization;
  if (header === undefined || header.length < 8 || header.charCodeAt(6) !== 0x20) return null;
  if (header.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = header.slice(7).trimStart();
  return token !== '' && !token.includes(' ') ? token : null;
}
