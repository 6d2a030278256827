import type { RateLimitDeclaration, RateLimitSubject } from '../config/feature-config.js';

/** `<requests>/<window>` with the window in s, m or h (`30/1m`), or `off`. */
export const RATE_LIMIT_FORMAT = /^(off|[1-9][0-9]{0,6}\/[1-9][0-9]{0,5}[smh])$/;

/** At most `limit` requests per `windowSeconds`. */
export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitSettings<Name extends string = string> {
  /** null: configured `off`. */
  policies: Record<Name, RateLimitPolicy | null>;
  subjects: Record<Name, RateLimitSubject>;
}

/** The limit every route counts unless it names its own; features declare the others. */
export const DEFAULT_RATE_LIMIT: RateLimitDeclaration = {
  variable: 'RATE_LIMIT_DEFAULT',
  default: '600/1m',
  // Health checks excepted: a load balancer must always be able to make them.
  subject: { per: 'address' },
};

const WINDOW_UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** `30/1m` → 30 per 60 s; `off` → null. The format was checked first. */
function parseRateLimit(value: string): RateLimitPolicy | null {
  if (value === 'off') return null;
  const [limit = '', window = ''] = value.split('/');
  const unit = window.slice(-1) as keyof typeof WINDOW_UNIT_SECONDS;
  return {
    limit: Number(limit),
    windowSeconds: Number(window.slice(0, -1)) * WINDOW_UNIT_SECONDS[unit],
  };
}

/** Every declared limit's policy and subject, each read from its variable or its default. */
export function readRateLimits<Name extends string>(
  declarations: Record<Name, RateLimitDeclaration>,
  source: Record<string, unknown>,
  problems: string[],
): RateLimitSettings<Name> {
  const policies = {} as Record<Name, RateLimitPolicy | null>;
  const subjects = {} as Record<Name, RateLimitSubject>;
  for (const [name, declaration] of Object.entries(declarations) as [
    Name,
    RateLimitDeclaration,
  ][]) {
    const given = source[declaration.variable];
    const value = typeof given === 'string' ? given : declaration.default;
    if (!RATE_LIMIT_FORMAT.test(value)) {
      problems.push(
        `${declaration.variable}: must be <requests>/<window> such as 30/1m (s, m or h), or off (got ${JSON.stringify(given)})`,
      );
    }
    policies[name] = RATE_LIMIT_FORMAT.test(value) ? parseRateLimit(value) : null;
    subjects[name] = declaration.subject;
  }
  return { policies, subjects };
}
