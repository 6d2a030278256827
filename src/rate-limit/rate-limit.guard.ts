import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaybePromise } from '../platform/maybe-promise.js';
import { ConfigService } from '@nestjs/config';
import type { Configuration, RateLimitName } from '../config/configuration.js';
import type { RateLimitSubject } from '../config/feature-config.js';
import { clientAddressOf } from '../common/http/client-address.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { addressBucket } from './address-bucket.js';
import { RATE_LIMITS_KEY } from './rate-limit.decorator.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { RateLimitService, type RateLimitOutcome } from './rate-limit.service.js';

type SubjectOf = (request: FastifyRequest) => string | undefined;

interface Subject {
  of: SubjectOf;
  /**
   * Whether the RateLimit-* headers may show this count. A caller's own address budget is
   * theirs to see; an account's is not: it would tell anyone when its owner logs in.
   */
  shown: boolean;
}

const byAddress: Subject = {
  of: (request) => addressBucket(clientAddressOf(request)),
  shown: true,
};

/** The account a credential request targets, folded as the login lookup folds it. */
const byAccountIn = (field: string): Subject => ({
  of: (request) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    const value = typeof body === 'object' && body !== null ? body[field] : undefined;
    return typeof value === 'string' ? loginLookupKey(value) : undefined;
  },
  shown: false,
});

// Counted by the feature's service, which knows the signed-in user; never named on a route.
const bySignedInUser: Subject = { of: () => undefined, shown: false };

function subjectFor(declared: RateLimitSubject): Subject {
  switch (declared.per) {
    case 'address':
      return byAddress;
    case 'account-in-body':
      return byAccountIn(declared.field);
    case 'signed-in-user':
      return bySignedInUser;
  }
}

/** Headers of draft-ietf-httpapi-ratelimit-headers, for the shown limit closest to refusing. */
function showRateLimit(reply: FastifyReply, { policy, remaining, resetSeconds }: RateLimitOutcome) {
  // Lowercase, as Fastify stores and sends them: it lowercases every name it is given.
  void reply
    .header('ratelimit-limit', String(policy.limit))
    .header('ratelimit-remaining', String(remaining))
    .header('ratelimit-reset', String(resetSeconds))
    .header('ratelimit-policy', `${policy.limit};w=${policy.windowSeconds}`);
}

const closestToRefusing = (a: RateLimitOutcome, b: RateLimitOutcome) =>
  Number(a.allowed) - Number(b.allowed) ||
  a.remaining - b.remaining ||
  b.resetSeconds - a.resetSeconds;

/**
 * Shows the caller the count closest to refusing them (of those theirs to see), and refuses
 * if any limit is spent. One pass, nothing sorted or copied: every request of every route
 * comes here.
 */
function judge(
  subjects: Record<RateLimitName, Subject>,
  names: readonly RateLimitName[],
  outcomes: readonly (RateLimitOutcome | undefined)[],
  reply: FastifyReply,
): true {
  let closestShown: RateLimitOutcome | undefined;
  let refusedForSeconds: number | undefined;
  for (let index = 0; index < outcomes.length; index += 1) {
    const outcome = outcomes[index];
    if (!outcome) continue;
    const { shown } = subjects[names[index]!];
    if (shown && (!closestShown || closestToRefusing(outcome, closestShown) < 0)) {
      closestShown = outcome;
    }
    if (!outcome.allowed) {
      refusedForSeconds = Math.max(refusedForSeconds ?? 0, outcome.resetSeconds);
    }
  }
  if (closestShown) showRateLimit(reply, closestShown);
  if (refusedForSeconds !== undefined) throw new RateLimitedError(refusedForSeconds);
  return true;
}

/** Global (APP_GUARD), before authentication: a refused request costs no token check. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** The limits each route counts, minus those configured off; worked out once a route. */
  private readonly limitsByHandler = new WeakMap<object, RateLimitName[]>();
  /** Who each limit counts, as the features declared them. */
  private readonly subjects: Record<RateLimitName, Subject>;

  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
    config: ConfigService<Configuration, true>,
  ) {
    const declared = config.get('rateLimits', { infer: true }).subjects;
    this.subjects = Object.fromEntries(
      Object.entries<RateLimitSubject>(declared).map(([name, subject]) => [
        name,
        subjectFor(subject),
      ]),
    ) as Record<RateLimitName, Subject>;
  }

  /**
   * Synchronous when every count is known here, as the default limit's is below half: most
   * requests then go on to authentication without waiting a turn.
   */
  canActivate(context: ExecutionContext): MaybePromise<boolean> {
    const names = this.limitsOf(context);
    if (names.length === 0) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const outcomes = names.map((name) => this.count(name, request));
    return outcomes.some((outcome) => outcome instanceof Promise)
      ? Promise.all(outcomes.map((outcome) => Promise.resolve(outcome))).then((settled) =>
          judge(this.subjects, names, settled, reply),
        )
      : judge(this.subjects, names, outcomes as (RateLimitOutcome | undefined)[], reply);
  }

  private count(
    name: RateLimitName,
    request: FastifyRequest,
  ): MaybePromise<RateLimitOutcome | undefined> {
    const subject = this.subjects[name].of(request);
    return subject === undefined ? undefined : this.rateLimits.consume(name, subject);
  }

  private limitsOf(context: ExecutionContext): RateLimitName[] {
    const handler = context.getHandler();
    let names = this.limitsByHandler.get(handler);
    if (!names) {
      const declared = this.reflector.getAllAndOverride<RateLimitName[] | undefined>(
        RATE_LIMITS_KEY,
        [handler, context.getClass()],
      );
      names = (declared ?? ['default']).filter((name) => this.rateLimits.isOn(name));
      this.limitsByHandler.set(handler, names);
    }
    return names;
  }
}
