import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { AuthService } from '../auth.service.js';
import type { AccessTokenVerifier } from '../../tokens/access-token-verifier.js';
import type { Principal } from '../../tokens/access-token.js';
import { InvalidAccessTokenError } from '../../tokens/tokens.errors.js';
import { VerifiedAccessTokens } from '../../tokens/verified-access-tokens.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';

const handler = () => undefined;
class Controller {}

const requestWith = (token: string) =>
  ({
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({
      getRequest: () => ({ headers: { authorization: `Bearer ${token}` } }),
    }),
  }) as unknown as ExecutionContext;

/** A guard whose verifier answers after a tick, counting how often it was asked. */
function guardCounting(outcome: 'valid' | 'invalid') {
  const calls = { verify: 0, authenticate: 0 };
  const claims = { sub: 'u', sid: 's', jti: 'j', iat: 0, exp: Math.floor(Date.now() / 1000) + 60 };
  const verifier = {
    verify: async () => {
      calls.verify += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (outcome === 'invalid') throw new InvalidAccessTokenError();
      return { claims, kid: 'k' };
    },
    stillPublished: () => true,
  } as unknown as AccessTokenVerifier;
  const auth = {
    authenticate: () => {
      calls.authenticate += 1;
      return Promise.resolve({ userId: 'u', sessionId: 's' } as Principal);
    },
  } as unknown as AuthService;
  const guard = new JwtAuthGuard(new Reflector(), auth, new VerifiedAccessTokens(), verifier);
  return { guard, calls };
}

describe('JwtAuthGuard, a token seen for the first time', () => {
  it('is verified and authenticated once for a burst of requests carrying it', async () => {
    const { guard, calls } = guardCounting('valid');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => Promise.resolve(guard.canActivate(requestWith('a.b.c')))),
    );
    expect(answers.every((answer) => answer === true)).toBe(true);
    expect(calls).toEqual({ verify: 1, authenticate: 1 });
  });

  it('refuses the whole burst of an invalid token, and verifies it afresh on the next request', async () => {
    const { guard, calls } = guardCounting('invalid');
    const burst = Array.from({ length: 5 }, () =>
      Promise.resolve(guard.canActivate(requestWith('x.y.z'))),
    );
    for (const answer of await Promise.allSettled(burst)) {
      expect(answer.status).toBe('rejected');
    }
    expect(calls.verify).toBe(1);
    await expect(Promise.resolve(guard.canActivate(requestWith('x.y.z')))).rejects.toThrow();
    expect(calls.verify).toBe(2);
  });

  it('keeps two tokens apart', async () => {
    const { guard, calls } = guardCounting('valid');
    await Promise.all(
      ['a.b.c', 'd.e.f'].map((token) => Promise.resolve(guard.canActivate(requestWith(token)))),
    );
    expect(calls.verify).toBe(2);
  });
});
