import { describe, expect, it } from 'vitest';
import { bearerTokenOf, CLOCK_SKEW_SECONDS, hasValidLifetime } from './access-token.js';

const withAuthorization = (authorization?: string) => ({ headers: { authorization } });
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('bearerTokenOf', () => {
  it('takes the token of a Bearer header, the scheme in any case', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect(bearerTokenOf(withAuthorization(`${scheme} ${token}`))).toBe(token);
    }
    expect(bearerTokenOf(withAuthorization(`Bearer   ${token}`))).toBe(token);
  });

  it('finds none without a header, with another scheme or without a single token', () => {
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer    ',
      `Basic ${token}`,
      `Bearerx ${token}`,
      `${token}`,
      `Bearer ${token} extra`,
    ]) {
      expect(bearerTokenOf(withAuthorization(authorization))).toBeNull();
    }
  });
});

describe('hasValidLifetime', () => {
  const now = 1_800_000_000;

  it('takes a token issued now or in the past that names when it expires', () => {
    expect(hasValidLifetime({ iat: now, exp: now + 900 }, now)).toBe(true);
    expect(hasValidLifetime({ iat: now - 600, exp: now + 300 }, now)).toBe(true);
    expect(hasValidLifetime({ iat: now + CLOCK_SKEW_SECONDS, exp: now + 900 }, now)).toBe(true);
  });

  it('refuses a token without exp or iat, with dates that are not numbers, or issued in the future', () => {
    for (const claims of [
      { iat: now },
      { exp: now + 900 },
      {},
      { iat: String(now), exp: now + 900 },
      { iat: now, exp: null },
      { iat: now, exp: Infinity },
      { iat: now + CLOCK_SKEW_SECONDS + 1, exp: now + 900 },
    ]) {
      expect(hasValidLifetime(claims, now), JSON.stringify(claims)).toBe(false);
    }
  });
});
