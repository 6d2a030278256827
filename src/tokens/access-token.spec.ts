import { describe, expect, it } from 'vitest';
import { bearerTokenOf } from './access-token.js';

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
