import { createHash, randomBytes } from 'node:crypto';

/** 256 bits from the CSPRNG, URL-safe: opaque to clients, useless as a JWT. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A fast hash is enough: the input is 256 random bits, not a guessable password. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
