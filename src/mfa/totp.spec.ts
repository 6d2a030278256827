import { describe, expect, it } from 'vitest';
import { matchingStep, totpOf } from './totp.js';

/** RFC 6238 Appendix B, the SHA-1 rows: seed "12345678901234567890", 8 digits. */
const RFC_6238_SHA1 = [
  { seconds: 59, code: '94287082' },
  { seconds: 1111111109, code: '07081804' },
  { seconds: 1111111111, code: '14050471' },
  { seconds: 1234567890, code: '89005924' },
  { seconds: 2000000000, code: '69279037' },
  { seconds: 20000000000, code: '65353130' },
];
const SEED = Buffer.from('12345678901234567890', 'ascii');

describe('TOTP as configured (RFC 6238, SHA-1, 30 s)', () => {
  it.each(RFC_6238_SHA1)('gives the Appendix B code at T=$seconds', ({ seconds, code }) => {
    expect(totpOf(SEED, { digits: 8 }).generate({ timestamp: seconds * 1000 })).toBe(code);
  });

  it.each(RFC_6238_SHA1)(
    'gives 6 digits, the last 6 of the Appendix B code, at T=$seconds',
    ({ seconds, code }) => {
      expect(totpOf(SEED).generate({ timestamp: seconds * 1000 })).toBe(code.slice(-6));
    },
  );

  it('accepts a code one step either side of now, and names the step it was made for', () => {
    const now = 1111111111 * 1000;
    const step = Math.floor(now / 30_000);
    for (const drift of [-1, 0, 1]) {
      const code = totpOf(SEED).generate({ timestamp: now + drift * 30_000 });
      expect(matchingStep(SEED, code, now)).toBe(step + drift);
    }
  });

  it('refuses a code two steps away, and a wrong one', () => {
    const now = 1234567890 * 1000;
    for (const drift of [-2, 2]) {
      const code = totpOf(SEED).generate({ timestamp: now + drift * 30_000 });
      expect(matchingStep(SEED, code, now)).toBeNull();
    }
    const right = totpOf(SEED).generate({ timestamp: now });
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(matchingStep(SEED, wrong, now)).toBeNull();
  });
});
