import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { MaybePromise } from '../platform/maybe-promise.js';

/** The state of one counter right after a request was counted. */
export interface RateLimitHit {
  count: number;
  /** Seconds until the window ends and the count starts again (at least 1). */
  resetSeconds: number;
}

/** Fixed windows that start at a key's first request. */
export interface RateLimitStore {
  /** Counts `amount` requests (one, or a batch counted elsewhere first) and says where the key stands. */
  hit(key: string, windowSeconds: number, amount?: number): MaybePromise<RateLimitHit>;
}

interface Window {
  count: number;
  resetsAt: number;
}

/** Whole seconds until `ms` from now, at least 1: what the RateLimit-Reset header says. */
export const secondsUntil = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** One instance's counters: the embedded default, and the fallback while Redis is down. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, Window>();

  /** `maxKeys` bounds memory against a flood of distinct addresses or accounts. */
  constructor(
    private readonly maxKeys = 100_000,
    private readonly now = () => Date.now(),
  ) {}

  hit(key: string, windowSeconds: number, amount = 1): RateLimitHit {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      // Deleted and set again, so the map's order stays oldest window first.
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.evictOldest();
      window = { count: 0, resetsAt: now + windowSeconds * 1000 };
      this.windows.set(key, window);
    }
    window.count += amount;
    return { count: window.count, resetSeconds: secondsUntil(window.resetsAt - now) };
  }

  get size(): number {
    return this.windows.size;
  }

  /** The window that started first: ended by now, or the nearest to ending. */
  private evictOldest(): void {
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

// INCRBY and PEXPIRE in one step, so a window can never be left without an expiry. A count
// equal to the amount is a key that did not exist: a new window.
const HIT_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;
const KEY_PREFIX = 'whazz-auth:rate-limit:';
const OUTAGE_REMINDER_MS = 60_000;

/**
 * Counters in Redis, shared by every instance. When Redis cannot answer, the request is
 * counted in this instance's memory instead: limits loosen (one budget per instance) but
 * the service keeps answering, and the log says so until Redis is back.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private lastOutageLog = 0;
  private down = false;

  constructor(
    private readonly redis: Redis,
    private readonly fallback: RateLimitStore,
    private readonly logger: Logger,
  ) {}

  async hit(key: string, windowSeconds: number, amount = 1): Promise<RateLimitHit> {
    const windowMs = windowSeconds * 1000;
    try {
      const [count, ttlMs] = (await this.redis.eval(
        HIT_SCRIPT,
        1,
        KEY_PREFIX + key,
        windowMs,
        amount,
      )) as [number, number];
      this.recovered();
      return { count, resetSeconds: secondsUntil(ttlMs > 0 ? ttlMs : windowMs) };
    } catch (error) {
      this.failed(error);
      return this.fallback.hit(key, windowSeconds, amount);
    }
  }

  private failed(error: unknown): void {
    this.down = true;
    const now = Date.now();
    if (now - this.lastOutageLog < OUTAGE_REMINDER_MS) return;
    this.lastOutageLog = now;
    this.logger.error(
      `Redis unreachable for rate limits (${error instanceof Error ? error.message : String(error)}): each instance now counts on its own`,
    );
  }

  private recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.lastOutageLog = 0;
    this.logger.log('Redis reachable again: rate limits are shared across instances');
  }
}
