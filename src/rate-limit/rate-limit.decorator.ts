import { SetMetadata } from '@nestjs/common';
import type { RateLimitName } from '../config/configuration.js';

export const RATE_LIMITS_KEY = 'rateLimits';

/**
 * The per-address limits a route counts against instead of the default one; all must allow
 * the request. Per-account and per-user limits are not named here: the feature's service
 * counts them once the request is valid (RateLimitService.enforce).
 */
export const RateLimit = (...names: RateLimitName[]) => SetMetadata(RATE_LIMITS_KEY, names);

/** No limit at all: health checks, which a load balancer must always be able to make. */
export const SkipRateLimit = () => SetMetadata(RATE_LIMITS_KEY, []);
