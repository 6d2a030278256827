import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaybePromise } from '../platform/maybe-promise.js';
import { ConfigService } from '@nestjs/config';
import type { Configuration, RateLimitName } from '../config/configuration.js';
import { clientAddressOf } from '../common/http/client-address.js';
import { addressBucket } from './address-bucket.js';
import { RATE_LIMITS_KEY } from './rate-limit.decorator.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { RateLimitService, type RateLimitOutcome } from './rate-limit.service.js';

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
 * Shows the caller the count closest to refusing them, and refuses if any limit is spent.
 * One pass, nothing sorted or copied: every request of every route comes here.
 */
function judge(outcomes: readonly (RateLimitOutcome | undefined)[], reply: FastifyReply): true {
  let closest: RateLimitOutcome | undefined;
  let refusedForSeconds: number | undefined;
  for (const outcome of outcomes) {
    if (!outcome) continue;
    if (!closest || closestToRefusing(outcome, closest) < 0) closest = outcome;
    if (!outcome.allowed) {
      refusedForSeconds = Math.max(refusedForSeconds ?? 0, outcome.resetSeconds);
    }
  }
  if (closest) showRateLimit(reply, closest);
  if (refusedForSeconds !== undefined) throw new RateLimitedError(refusedForSeconds);
  return true;
}

/**
 * Global (APP_GUARD), before authentication: a refused request costs no token check. Counts
 * the per-address limits a route names, which its caller may see. Limits per account or per
 * signed-in user are counted by their feature's service, once the request is valid: here,
 * before validation, anyone could spend an account's budget with bodies refused by 422
 * (issue #18), and the counts are not the caller's to see.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** The per-address limits each route counts, minus those configured off; once a route. */
  private readonly limitsByHandler = new WeakMap<object, RateLimitName[]>();
  private readonly perAddress: ReadonlySet<RateLimitName>;

  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
    config: ConfigService<Configuration, true>,
  ) {
    const { subjects } = config.get('rateLimits', { infer: true });
    this.perAddress = new Set(
      (Object.keys(subjects) as RateLimitName[]).filter((name) => subjects[name].per === 'address'),
    );
  }

  /**
   * Synchronous when every count is known here, as the default limit's is below half: most
   * requests then go on to authentication without waiting a turn.
   */
  canActivate(context: ExecutionContext): MaybePromise<boolean> {
    const names = this.limitsOf(context);
    if (names.length === 0) return true;
    const http = context.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const address = addressBucket(clientAddressOf(http.getRequest<FastifyRequest>()));
    const outcomes = names.map((name) => this.rateLimits.consume(name, address));
    return outcomes.some((outcome) => outcome instanceof Promise)
      ? Promise.all(outcomes.map((outcome) => Promise.resolve(outcome))).then((settled) =>
          judge(settled, reply),
        )
      : judge(outcomes as (RateLimitOutcome | undefined)[], reply);
  }

  private limitsOf(context: ExecutionContext): RateLimitName[] {
    const handler = context.getHandler();
    let names = this.limitsByHandler.get(handler);
    if (!names) {
      const declared = this.reflector.getAllAndOverride<RateLimitName[] | undefined>(
        RATE_LIMITS_KEY,
        [handler, context.getClass()],
      );
      names = (declared ?? ['default']).filter(
        (name) => this.perAddress.has(name) && this.rateLimits.isOn(name),
      );
      this.limitsByHandler.set(handler, names);
    }
    return names;
  }
}
