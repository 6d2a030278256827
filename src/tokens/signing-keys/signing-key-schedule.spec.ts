import { describe, expect, it } from 'vitest';
import {
  keysDueForRetirement,
  pendingKeys,
  rotationDue,
  signingKeyAt,
  type ScheduledKey,
} from './signing-key-schedule.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const seconds = (n: number) => T0 + n * 1000;
const key = (kid: string, activeAt: number, retiredAt: number | null = null): ScheduledKey => ({
  kid,
  algorithm: 'EdDSA',
  activeFrom: new Date(seconds(activeAt)),
  retiredAt: retiredAt === null ? null : new Date(seconds(retiredAt)),
});
const TTL = 900;

describe('signingKeyAt', () => {
  const old = key('old', 0);
  const next = key('next', 600);

  it('keeps the old key until the new one’s activeFrom, then the new one', () => {
    expect(signingKeyAt([old, next], seconds(599))).toBe(old);
    expect(signingKeyAt([next, old], seconds(600))).toBe(next);
  });

  it('ignores retired keys, and breaks a tie by kid so every instance picks the same', () => {
    expect(signingKeyAt([old, key('next', 600, 700)], seconds(800))).toBe(old);
    const [a, b] = [key('a', 0), key('b', 0)];
    expect(signingKeyAt([a, b], seconds(1))).toBe(b);
    expect(signingKeyAt([b, a], seconds(1))).toBe(b);
  });

  it('finds none before any key is active', () => {
    expect(signingKeyAt([next], seconds(0))).toBeUndefined();
    expect(pendingKeys([old, next], seconds(0))).toEqual([next]);
  });
});

describe('keysDueForRetirement', () => {
  const old = key('old', 0);
  const next = key('next', 600);

  it('retires a superseded key once a token lifetime and the clock skew passed since', () => {
    expect(keysDueForRetirement([old, next], seconds(600 + TTL + 4), TTL)).toEqual([]);
    expect(keysDueForRetirement([old, next], seconds(600 + TTL + 5), TTL)).toEqual([old]);
  });

  it('never retires the signing key or a pending one', () => {
    expect(keysDueForRetirement([old], seconds(100_000), TTL)).toEqual([]);
    const later = key('later', 100_000);
    expect(keysDueForRetirement([old, later], seconds(50_000), TTL)).toEqual([]);
  });
});

describe('rotationDue', () => {
  const old = key('old', 0);

  it('is due when the interval passed, or the configured algorithm changed', () => {
    expect(rotationDue([old], seconds(86_399), 'EdDSA', 86_400)).toBe(false);
    expect(rotationDue([old], seconds(86_400), 'EdDSA', 86_400)).toBe(true);
    expect(rotationDue([old], seconds(10), 'EdDSA', null)).toBe(false);
    expect(rotationDue([old], seconds(10), 'ES256', null)).toBe(true);
  });

  it('is not due while a rotation is pending', () => {
    expect(rotationDue([old, key('next', 200_000)], seconds(100_000), 'EdDSA', 86_400)).toBe(false);
  });
});
