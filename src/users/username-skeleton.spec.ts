import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loginLookupKey } from './login-lookup-key.js';
import { usernameSkeleton } from './username-skeleton.js';

const username = fc.stringMatching(/^[A-Za-z0-9_.-]{3,32}$/);

describe('usernameSkeleton', () => {
  it('gives look-alike names one skeleton', () => {
    const groups = [
      ['bill', 'biII', 'BILL', 'bi1l', 'b1Il', 'bILl'],
      ['admin', 'adm1n', 'ADMIN', 'adrnin', 'ADMlN', 'adrn1n'],
      ['olga', '0lga', 'OLGA', '0Iga'],
      ['mod.team_1', 'rnod.tearn_l', 'M0D.TEAM_I'],
    ];
    for (const [first, ...others] of groups) {
      for (const other of others)
        expect(usernameSkeleton(other), other).toBe(usernameSkeleton(first!));
    }
  });

  it('keeps names that only look alike to TR39 apart otherwise', () => {
    const names = ['bill', 'bell', 'ball', 'bil', 'b.ill', 'b_ill', 'bi-ll', 'rn', 'nn', 'o', 'q'];
    expect(new Set(names.map(usernameSkeleton)).size).toBe(names.length);
  });

  it('ignores case, refines the case-insensitive key, and at most doubles the length', () => {
    fc.assert(
      fc.property(username, username, (a, b) => {
        expect(usernameSkeleton(a.toUpperCase())).toBe(usernameSkeleton(a));
        if (loginLookupKey(a) === loginLookupKey(b)) {
          expect(usernameSkeleton(a)).toBe(usernameSkeleton(b));
        }
        expect(usernameSkeleton(a).length).toBeLessThanOrEqual(64);
        expect(usernameSkeleton(usernameSkeleton(a))).toBe(usernameSkeleton(a));
      }),
    );
  });
});
