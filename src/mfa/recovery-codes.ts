import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** 10 bytes: 80 bits, 16 base32 characters shown as `xxxx-xxxx-xxxx-xxxx`. */
const CODE_BYTES = 10;

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return text;
}

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    base32(randomBytes(CODE_BYTES)).match(/.{4}/g)!.join('-'),
  );
}

/** What the user typed, as stored: case, spaces and dashes do not matter. */
export const normaliseRecoveryCode = (typed: string) => typed.toLowerCase().replace(/[\s-]/g, '');

/**
 * SHA-256, not bcrypt: each code is 80 random bits, so no dictionary or brute force over the
 * hash can find it (2^80 tries); a slow hash only protects low-entropy secrets like passwords.
 */
export const hashRecoveryCode = (typed: string) =>
  createHash('sha256').update(normaliseRecoveryCode(typed)).digest('hex');
