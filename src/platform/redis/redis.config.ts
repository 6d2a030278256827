import { defineFeatureConfig, OptionalText } from '../../config/feature-config.js';

export class RedisVariables {
  /** Shares revocations and rate-limit counts between instances (without it, PostgreSQL
   * notifications carry revocations). */
  @OptionalText()
  REDIS_URL?: string;
}

/** Redis, when instances share one. */
export const redisConfig = defineFeatureConfig({
  namespace: 'redis',
  title: 'Redis',
  variables: RedisVariables,
  secrets: ['REDIS_URL'],
  settings: (env) => ({
    /** Undefined: no Redis. */
    url: env.REDIS_URL,
  }),
});

export type RedisConfig = ReturnType<typeof redisConfig.settings>;
