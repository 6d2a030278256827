import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as authenticator apps expect it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const TOTP_SETTINGS = { algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_SECONDS } as const;

/** 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;

/**
 * Steps either side of now a code may belong to: ±1 (RFC 6238 §5.2 allows one step of
 * network delay and clock drift); more would widen every guess's chance for little gain.
 */
const DRIFT_STEPS = 1;

export const newTotpSecret = (): Buffer => randomBytes(SECRET_BYTES);

/** The library's TOTP for `secret`, configured as above; `digits` only for the RFC vectors. */
export function totpOf(
  secret: Buffer,
  options: { label?: string; issuer?: string; digits?: number } = {},
): TOTP {
  return new TOTP({
    ...TOTP_SETTINGS,
    ...options,
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
  });
}

/** The base32 secret and the `otpauth://` URI authenticator apps read (from a QR code). */
export function describeTotp(secret: Buffer, label: string, issuer: string) {
  const totp = totpOf(secret, { label, issuer });
  return { base32: totp.secret.base32, uri: totp.toString() };
}

/**
 * The time step `code` was made for, if it is one of the steps within the drift allowed
 * around `timestamp` (ms); null otherwise. The step is what a replay check remembers.
 */
export function matchingStep(secret: Buffer, code: string, timestamp = Date.now()): number | null {
  const totp = totpOf(secret);
  const delta = totp.validate({ token: code, timestamp, window: DRIFT_STEPS });
  return delta === null ? null : totp.counter({ timestamp }) + delta;
}
