import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOCK_SKEW_SECONDS } from '../tokens/access-token.js';
import { RevokedSessions } from './revoked-sessions.js';

const TTL_MS = 15 * 60_000;
const SKEW_MS = CLOCK_SKEW_SECONDS * 1000;
const START = new Date('2026-11-29T12:00:00Z');

describe('RevokedSessions', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('knows a revoked session until the last access token it could have issued expires', () => {
    const revoked = new RevokedSessions(TTL_MS);
    revoked.remember([{ id: 's1', revokedAt: START }]);
    expect(revoked.has('s1')).toBe(true);
    expect(revoked.has('s2')).toBe(false);

    // A token issued by an instance whose clock is ahead lives a little past that.
    vi.setSystemTime(START.getTime() + TTL_MS + SKEW_MS - 1);
    expect(revoked.has('s1')).toBe(true);
    vi.setSystemTime(START.getTime() + TTL_MS + SKEW_MS);
    expect(revoked.has('s1')).toBe(false);
  });

  it('keeps the later expiry when one session is announced twice, late message first', () => {
    const revoked = new RevokedSessions(TTL_MS);
    const later = new Date(START.getTime() + 60_000);
    revoked.remember([{ id: 's1', revokedAt: later }]);
    revoked.remember([{ id: 's1', revokedAt: START }]);
    vi.setSystemTime(START.getTime() + TTL_MS + 30_000);
    expect(revoked.has('s1')).toBe(true);
  });

  it('sweeps expired entries out as new ones arrive, so the set stays bounded without any poll', () => {
    const revoked = new RevokedSessions(TTL_MS);
    const burst = Array.from({ length: 1000 }, (_, i) => ({ id: `old-${i}`, revokedAt: START }));
    revoked.remember(burst, START.getTime());
    expect(revoked.size).toBe(1000);

    const afterExpiry = START.getTime() + TTL_MS + 60_000;
    revoked.remember([{ id: 'new', revokedAt: new Date(afterExpiry) }], afterExpiry);
    expect(revoked.size).toBe(1);
  });

  it('answers only for tokens issued within one lifetime: older ones came from a longer one', () => {
    const revoked = new RevokedSessions(TTL_MS);
    const now = START.getTime();
    expect(revoked.covers(now, now)).toBe(true);
    expect(revoked.covers(now - TTL_MS + 1000, now)).toBe(true);
    expect(revoked.covers(now - TTL_MS, now)).toBe(false);
    expect(revoked.covers(now - 4 * TTL_MS, now)).toBe(false);
  });

  it('covers every revocation of a token it answers for, whatever the order of events', () => {
    // Issued at the edge of the window, revoked a little earlier by a clock behind the issuer's.
    const revoked = new RevokedSessions(TTL_MS);
    const issuedAt = START.getTime();
    revoked.remember([{ id: 's1', revokedAt: new Date(issuedAt - SKEW_MS) }], issuedAt);
    const lastCovered = issuedAt + TTL_MS - 1;
    expect(revoked.covers(issuedAt, lastCovered)).toBe(true);
    vi.setSystemTime(lastCovered);
    expect(revoked.has('s1')).toBe(true);
    expect(revoked.seedSince(lastCovered).getTime()).toBeLessThanOrEqual(issuedAt - SKEW_MS);
  });
});
