import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaybePromise } from '../platform/maybe-promise.js';
import { ConfigService } from '@nestjs/config';
import type { Configuration, RateLimitName } from '../config/configuration.js';
import { clientAddressOf } from '../common/http/client-address.js';
import { addressBucket } from '../common/http/address-bucket.js';
import type { RateLimitPolicy } from './rate-limit.config.js';
import { RATE_LIMITS_KEY } from './rate-limit.decorator.js';
import { RateLimitedError } from './rate-limit.errors.js';
import { RateLimitService, type RateLimitOutcome } from './rate-limit.service.js';

/** What a limit's headers say that never changes, built once a limit. */
interface PolicyFields {
  /** `RateLimit-Policy`: `"login";q=30;w=60`. */
  policy: string;
  /** The start of `RateLimit`: `"login";r=`. */
  remainingPrefix: string;
  /** The deprecated `RateLimit-Limit`: `30`. */
  limit: string;
}

function policyFields(
  name: RateLimitName,
  { limit, windowSeconds }: RateLimitPolicy,
): PolicyFields {
  // The name goes out as a structured-field String (RFC 9651 3.3.3) written as it is.
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`rate limit name not header-safe: ${name}`);
  return {
    policy: `"${name}";q=${limit};w=${windowSeconds}`,
    remainingPrefix: `"${name}";r=`,
    limit: String(limit),
  };
}

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-10,
 * for the limit closest to refusing; and, deprecated and kept for one release for clients
 * that read them, `RateLimit-Limit`, `-Remaining` and `-Reset` of draft -06 (docs/api.md says
 * until when). Draft -06's `RateLimit-Policy` (`30;w=60`) is gone: the current draft took its
 * name. Strings built once a limit where they can be, and one concatenation a request.
 */
function showRateLimit(reply: FastifyReply, fields: PolicyFields, outcome: RateLimitOutcome) {
  const remaining = String(outcome.remaining);
  const reset = String(outcome.resetSeconds);
  // Lowercase, as Fastify stores and sends them: it lowercases every name it is given.
  void reply
    .header('ratelimit-policy', fields.policy)
    .header('ratelimit', `${fields.remainingPrefix}${remaining};t=${reset}`)
    .header('ratelimit-limit', fields.limit)
    .header('ratelimit-remaining', remaining)
    .header('ratelimit-reset', reset);
}

const closestToRefusing = (a: RateLimitOutcome, b: RateLimitOutcome) =>
  Number(a.allowed) - Number(b.allowed) ||
  a.remaining - b.remaining ||
  b.resetSeconds - a.resetSeconds;

/**
 * Shows the caller the count closest to refusing them, and refuses if any limit is spent.
 * One pass, nothing sorted or copied: every request of every route comes here.
 */
function judge(
  fields: Record<RateLimitName, PolicyFields>,
  names: readonly RateLimitName[],
  outcomes: readonly (RateLimitOutcome | undefined)[],
  reply: FastifyReply,
): true {
  let closest = -1;
  let refusedForSeconds: number | undefined;
  for (let index = 0; index < outcomes.length; index += 1) {
    const outcome = outcomes[index];
    if (!outcome) continue;
    if (closest < 0 || closestToRefusing(outcome, outcomes[closest]!) < 0) closest = index;
    if (!outcome.allowed) {
      refusedForSeconds = Math.max(refusedForSeconds ?? 0, outcome.resetSeconds);
    }
  }
  if (closest >= 0) showRateLimit(reply, fields[names[closest]!], outcomes[closest]!);
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
  /** Each limit's unchanging header values; off limits have none (they are never counted). */
  private readonly fields: Record<RateLimitName, PolicyFields>;

  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
    config: ConfigService<Configuration, true>,
  ) {
    const { subjects, policies } = config.get('rateLimits', { infer: true });
    const names = Object.keys(subjects) as RateLimitName[];
    this.perAddress = new Set(names.filter((name) => subjects[name].per === 'address'));
    this.fields = Object.fromEntries(
      names.flatMap((name) => {
        const policy = policies[name];
        return policy ? [[name, policyFields(name, policy)]] : [];
      }),
    ) as Record<RateLimitName, PolicyFields>;
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
          judge(this.fields, names, settled, reply),
        )
      : judge(this.fields, names, outcomes as (RateLimitOutcome | undefined)[], reply);
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
