import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RevokedSessions } from './revoked-sessions.js';

const TTL_MS = 15 * 60_000;
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

    vi.setSystemTime(START.getTime() + TTL_MS - 1);
    expect(revoked.has('s1')).toBe(true);
    vi.setSystemTime(START.getTime() + TTL_MS);
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
});
