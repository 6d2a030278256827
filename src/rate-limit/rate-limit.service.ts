import { createHash } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { whenReady, type MaybePromise } from '../platform/maybe-promise.js';
import { RedisService } from '../platform/redis/redis.service.js';
import type { Configuration, RateLimitName } from '../config/configuration.js';
import type { RateLimitPolicy } from './rate-limit.config.js';
import { BatchedRateLimitStore } from './batched-rate-limit.store.js';
import { RateLimitedError } from './rate-limit.errors.js';
import {
  MemoryRateLimitStore,
  RedisRateLimitStore,
  type RateLimitStore,
} from './rate-limit.store.js';

export interface RateLimitOutcome {
  policy: RateLimitPolicy;
  allowed: boolean;
  remaining: number;
  resetSeconds: number;
  /**
   * The window's first refused request, for what must happen once a window rather than once
   * a request. Exactly one a window, whichever instance counts it, for every limit but the
   * batched default one (whose counts can jump past it).
   */
  firstRefusal: boolean;
}

/** Subjects whose hashed keys are kept: about 1.5 MB when full. */
const REMEMBERED_KEYS = 10_000;

/** Counts requests against the configured limits; in Redis when configured, else in memory. */
@Injectable()
export class RateLimitService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RateLimitService.name);
  private readonly policies: Configuration['rateLimits']['policies'];
  private readonly memory = new MemoryRateLimitStore();
  private readonly redis?: Redis;
  private readonly store: RateLimitStore;
  /** `name:subject` → the key counted under; see keyOf. */
  private readonly keys = new Map<string, string>();
  /** The limit every route has, batched when shared (see BatchedRateLimitStore). */
  private readonly batched?: BatchedRateLimitStore;

  constructor(
    config: ConfigService<Configuration, true>,
    private readonly redisConnections: RedisService,
  ) {
    this.policies = config.get('rateLimits', { infer: true }).policies;
    this.redis = redisConnections.commands;
    if (this.redis) {
      this.store = new RedisRateLimitStore(this.redis, this.memory, this.logger);
      this.batched = new BatchedRateLimitStore(this.store);
    } else {
      this.store = this.memory;
    }
  }

  /** False for a limit configured `off`. */
  isOn(name: RateLimitName): boolean {
    return this.policies[name] !== null;
  }

  /**
   * Counts one request of `subject` (an address, an account) against the named limit.
   * Undefined when that limit is off. Answered at once when the count is known here (the
   * memory store; the batched default limit below half), else once the shared store answers.
   */
  consume(name: RateLimitName, subject: string): MaybePromise<RateLimitOutcome | undefined> {
    const policy = this.policies[name];
    if (!policy) return undefined;
    const key = this.keyOf(name, subject);
    const hit =
      name === 'default' && this.batched
        ? this.batched.hit(key, policy)
        : this.store.hit(key, policy.windowSeconds);
    return whenReady(hit, ({ count, resetSeconds }) => ({
      policy,
      allowed: count <= policy.limit,
      remaining: Math.max(0, policy.limit - count),
      resetSeconds,
      firstRefusal: count === policy.limit + 1,
    }));
  }

  /** For limits whose subject only a service knows (the signed-in user); throws a 429. */
  async enforce(name: RateLimitName, subject: string): Promise<void> {
    const outcome = await this.consume(name, subject);
    if (outcome && !outcome.allowed) throw new RateLimitedError(outcome.resetSeconds);
  }

  /** Connected before the first request; if Redis is down, the service starts anyway. */
  async onApplicationBootstrap(): Promise<void> {
    await this.redisConnections.connect().catch((error: unknown) => {
      this.logger.error(
        `Redis unreachable at start (${String(error)}): rate limits are per instance until it is back`,
      );
    });
  }

  /** The counts still waiting go out before RedisService closes the connection. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.batched?.close();
  }

  /**
   * Hashed: account names and addresses never sit in Redis as they were typed. Remembered for
   * the subjects seen last, in this process only: every request counts the per-address limit,
   * and hashing each time (about 0.9 µs) redid what that address's last request had done.
   */
  private keyOf(name: RateLimitName, subject: string): string {
    const plain = `${name}:${subject}`;
    let key = this.keys.get(plain);
    if (key === undefined) {
      key = `${name}:${createHash('sha256').update(subject).digest('base64url')}`;
      if (this.keys.size >= REMEMBERED_KEYS) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(plain, key);
    }
    return key;
  }
}
