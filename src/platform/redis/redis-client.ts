import { Redis, type RedisOptions } from 'ioredis';

/**
 * A client whose commands fail at once while Redis is unreachable instead of queueing, so
 * every caller can fall back (to the database, to per-instance memory) without waiting.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    ...options,
  });
}
