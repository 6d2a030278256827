import { SetMetadata } from '@nestjs/common';
import type { RateLimitName } from '../config/configuration.js';

export const RATE_LIMITS_KEY = 'rateLimits';

/** The limits a route counts against instead of the default one; all must allow the request. */
export const RateLimit = (...names: RateLimitName[]) => SetMetadata(RATE_LIMITS_KEY, names);

/** No limit at all: health checks, which a load balancer must always be able to make. */
export const SkipRateLimit = () => SetMetadata(RATE_LIMITS_KEY, []);
