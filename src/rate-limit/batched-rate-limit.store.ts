import { whenReady, type MaybePromise } from '../platform/maybe-promise.js';
import type { RateLimitPolicy } from './rate-limit.config.js';
import { secondsUntil, type RateLimitHit, type RateLimitStore } from './rate-limit.store.js';

/** How often the requests counted here are sent on to the shared store. */
export const BATCH_INTERVAL_MS = 100;

/** A key's window as this instance knows it. */
interface Window {
  windowSeconds: number;
  /** The shared count at the shared store's last answer: every instance's requests sent by then. */
  shared: number;
  /** This instance's requests since, not yet sent. */
  unsent: number;
  resetsAt: number;
}

/**
 * Counts of the limit every route has (per address, 600 a minute by default), kept in this
 * instance and sent on to the shared store (Redis) together, every BATCH_INTERVAL_MS.
 *
 * Counting each request in Redis took about 30% of `GET /auth/me`'s throughput (issue #3):
 * a script call, its promise and its reply for every request. Here a key's first request
 * in a window, and every request once the count passes half the limit, still go to the
 * shared store at once (with what waits), so a client near its limit is judged on the
 * shared count, exactly as before. Below half, a request is judged on the shared count
 * last seen plus this instance's own since.
 *
 * What that gives up: requests of one client spread over several instances inside one
 * interval are seen together only at the next send. A burst that reaches more than half the
 * limit on each of N instances within one interval can pass the limit by up to
 * (N − 1) × half of it, once; a steady client is held to the limit as before. Every other
 * limit (login, signup, refresh, password resets, email changes) is counted in Redis on
 * every request.
 */
export class BatchedRateLimitStore {
  private readonly windows = new Map<string, Window>();
  /** Keys with requests waiting to be sent. */
  private readonly waiting = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxKeys: number;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly shared: RateLimitStore,
    {
      // Fewer than the shared store's: a key dropped here is asked of the shared store again.
      maxKeys = 20_000,
      intervalMs = BATCH_INTERVAL_MS,
    }: { maxKeys?: number; intervalMs?: number } = {},
  ) {
    this.maxKeys = maxKeys;
    this.timer = setInterval(() => void this.send(), intervalMs).unref();
  }

  /** Answered at once below half the limit; from the shared store otherwise. */
  hit(key: string, { limit, windowSeconds }: RateLimitPolicy): MaybePromise<RateLimitHit> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (window && window.resetsAt <= now) {
      // What waited belonged to the window that ended.
      this.windows.delete(key);
      this.waiting.delete(key);
      window = undefined;
    }
    if (window && window.shared + window.unsent + 1 <= limit / 2) {
      window.unsent += 1;
      this.waiting.add(key);
      return {
        count: window.shared + window.unsent,
        resetSeconds: secondsUntil(window.resetsAt - now),
      };
    }
    // A new window, or one past half its limit: counted in the shared store now.
    const amount = 1 + (window?.unsent ?? 0);
    if (window) {
      window.unsent = 0;
      this.waiting.delete(key);
    }
    return whenReady(this.shared.hit(key, windowSeconds, amount), (hit) => {
      this.learn(key, windowSeconds, hit);
      return hit;
    });
  }

  /** Sends what waits now; resolves once the shared store has answered. */
  send(): Promise<void> {
    const batch = [...this.waiting].flatMap((key) => {
      const window = this.windows.get(key);
      if (!window || window.unsent === 0) return [];
      const amount = window.unsent;
      window.unsent = 0;
      return [
        Promise.resolve(this.shared.hit(key, window.windowSeconds, amount)).then((hit) =>
          this.learn(key, window.windowSeconds, hit),
        ),
      ];
    });
    this.waiting.clear();
    this.sending = Promise.all(batch).then(() => undefined);
    return this.sending;
  }

  /** Stops the interval after sending what waits: nothing counted here is lost at shutdown. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    await this.send();
  }

  get size(): number {
    return this.windows.size;
  }

  /** Takes the shared store's answer as the key's count, keeping what arrived meanwhile. */
  private learn(key: string, windowSeconds: number, hit: RateLimitHit): void {
    const resetsAt = Date.now() + hit.resetSeconds * 1000;
    const window = this.windows.get(key);
    if (window) {
      // Answers can arrive out of order; the shared count only grows within a window.
      window.shared = Math.max(window.shared, hit.count);
      window.resetsAt = Math.min(window.resetsAt, resetsAt);
      return;
    }
    if (this.windows.size >= this.maxKeys) this.evictOldest();
    this.windows.set(key, { windowSeconds, shared: hit.count, unsent: 0, resetsAt });
  }

  /** The key seen first goes; its waiting requests are sent with it. */
  private evictOldest(): void {
    const oldest = this.windows.entries().next();
    if (oldest.done) return;
    const [key, window] = oldest.value;
    this.windows.delete(key);
    this.waiting.delete(key);
    if (window.unsent > 0) void this.shared.hit(key, window.windowSeconds, window.unsent);
  }
}
