import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VerifiedClaims } from './access-token.js';
import { VerifiedAccessTokens } from './verified-access-tokens.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const claims = (exp: number): VerifiedClaims => ({
  sub: 's',
  sid: 'i',
  jti: 'j',
  exp,
  iat: exp - 900,
});

describe('VerifiedAccessTokens', () => {
  afterEach(() => vi.useRealTimers());

  it('recalls a remembered token until the second its exp names', () => {
    vi.useFakeTimers({ now: new Date('2026-11-25T10:00:00.000Z') });
    const tokens = new VerifiedAccessTokens();
    const exp = nowSeconds() + 2;
    tokens.remember('a.b.c', claims(exp));
    expect(tokens.recall('a.b.c')).toEqual(claims(exp));
    vi.setSystemTime((exp - 1) * 1000 + 999);
    expect(tokens.recall('a.b.c')).toBeDefined();
    vi.setSystemTime(exp * 1000);
    expect(tokens.recall('a.b.c')).toBeUndefined();
  });

  it('knows nothing of a token it was not given, however alike', () => {
    const tokens = new VerifiedAccessTokens();
    tokens.remember('a.b.c', claims(nowSeconds() + 60));
    expect(tokens.recall('a.b.C')).toBeUndefined();
    expect(tokens.recall('a.b.c ')).toBeUndefined();
  });

  it('does not take another payload under a copied signature for the token that verified', () => {
    const tokens = new VerifiedAccessTokens();
    tokens.remember('header.alice.signature', claims(nowSeconds() + 60));
    expect(tokens.recall('header.mallory.signature')).toBeUndefined();
    expect(tokens.recall('header.alice.signature')).toBeDefined();
  });

  it('stays bounded, forgetting the oldest first', () => {
    const tokens = new VerifiedAccessTokens();
    const exp = nowSeconds() + 60;
    for (let index = 0; index <= 20_000; index += 1) tokens.remember(`token-${index}`, claims(exp));
    expect(tokens.recall('token-0')).toBeUndefined();
    expect(tokens.recall('token-1')).toBeDefined();
    expect(tokens.recall('token-20000')).toBeDefined();
  });
});
