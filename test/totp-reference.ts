import { createHmac } from 'node:crypto';

/**
 * RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30 s) written for the tests over node:crypto alone,
 * independent of the service's library: the codes an authenticator app would show.
 */
export function referenceTotp(base32Secret: string, timestampMs = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of base32Secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timestampMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** The code of the step `steps` away from now: -1, 0, +1 are all accepted once each. */
export const totpStepsAway = (base32Secret: string, steps: number) =>
  referenceTotp(base32Secret, Date.now() + steps * 30_000);

/**
 * The code of the step before now, taken at least `marginMs` before the current step ends: it
 * stays accepted until then, so a request slowed by a loaded machine still lands in time.
 */
export async function previousStepCode(base32Secret: string, marginMs = 8_000): Promise<string> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
  return totpStepsAway(base32Secret, -1);
}
