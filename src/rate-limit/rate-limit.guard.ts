import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitName } from '../config/configuration.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { RATE_LIMITS_KEY } from './rate-limit.decorator.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { RateLimitService, type RateLimitOutcome } from './rate-limit.service.js';

type SubjectOf = (request: FastifyRequest) => string | undefined;

const clientAddress: SubjectOf = (request) => request.ip;

/** The account a credential request targets, folded as the login lookup folds it. */
const accountIn =
  (field: string): SubjectOf =>
  (request) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    const value = typeof body === 'object' && body !== null ? body[field] : undefined;
    return typeof value === 'string' ? loginLookupKey(value) : undefined;
  };

/** Who each limit counts: an address, or the account named in the body. */
const SUBJECTS: Record<RateLimitName, SubjectOf> = {
  default: clientAddress,
  login: clientAddress,
  'login-account': accountIn('username_or_email'),
  signup: clientAddress,
  refresh: clientAddress,
  'forgot-password': clientAddress,
  'forgot-password-account': accountIn('email'),
  // Counted by AccountService, which knows the signed-in user; never named on a route.
  'verify-email-resend': () => undefined,
};

/** Headers of draft-ietf-httpapi-ratelimit-headers, for the limit closest to refusing. */
function rateLimitHeaders({ policy, remaining, resetSeconds }: RateLimitOutcome) {
  return {
    'RateLimit-Limit': String(policy.limit),
    'RateLimit-Remaining': String(remaining),
    'RateLimit-Reset': String(resetSeconds),
    'RateLimit-Policy': `${policy.limit};w=${policy.windowSeconds}`,
  };
}

const closestToRefusing = (a: RateLimitOutcome, b: RateLimitOutcome) =>
  Number(a.allowed) - Number(b.allowed) ||
  a.remaining - b.remaining ||
  b.resetSeconds - a.resetSeconds;

/** Global (APP_GUARD), before authentication: a refused request costs no token check. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const names = this.reflector.getAllAndOverride<RateLimitName[] | undefined>(RATE_LIMITS_KEY, [
      context.getHandler(),
      context.getClass(),
    ]) ?? ['default'];
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const counted = await Promise.all(
      names.map((name) => {
        const subject = SUBJECTS[name](request);
        return subject === undefined
          ? Promise.resolve(undefined)
          : this.rateLimits.consume(name, subject);
      }),
    );
    const outcomes = counted.filter((outcome) => outcome !== undefined).sort(closestToRefusing);
    const [closest] = outcomes;
    if (!closest) return true;
    void http.getResponse<FastifyReply>().headers(rateLimitHeaders(closest));
    if (!closest.allowed) {
      throw new RateLimitedError(
        Math.max(...outcomes.filter((o) => !o.allowed).map((o) => o.resetSeconds)),
      );
    }
    return true;
  }
}
