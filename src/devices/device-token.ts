import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes in base64url, as generateDeviceToken writes them; LoginDto checks the shape. */
export const DEVICE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** 256 bits from the CSPRNG: opaque to the client, unguessable by anyone else. */
export function generateDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A fast hash is enough: the input is 256 random bits, not a guessable password. */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
