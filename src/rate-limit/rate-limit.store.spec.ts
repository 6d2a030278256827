import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { MemoryRateLimitStore, RedisRateLimitStore } from './rate-limit.store.js';

describe('MemoryRateLimitStore', () => {
  it('counts within a window and starts again when it ends', () => {
    let now = 1_000_000;
    const store = new MemoryRateLimitStore(100, () => now);
    expect(store.hit('a', 10)).toEqual({ count: 1, resetSeconds: 10 });
    now += 4_500;
    expect(store.hit('a', 10)).toEqual({ count: 2, resetSeconds: 6 });
    now += 5_500;
    expect(store.hit('a', 10)).toEqual({ count: 1, resetSeconds: 10 });
  });

  it('keeps at most maxKeys counters, dropping the window that started first', () => {
    let now = 0;
    const store = new MemoryRateLimitStore(3, () => now);
    store.hit('short', 1);
    store.hit('old', 60);
    store.hit('newer', 60);
    now = 2_000; // 'short' has ended
    store.hit('fresh', 60);
    expect(store.size).toBe(3);
    store.hit('another', 60); // full of live windows: 'old' goes
    expect(store.size).toBe(3);
    expect(store.hit('newer', 60).count).toBe(2);
    expect(store.hit('old', 60).count).toBe(1);
  });
});

describe('RedisRateLimitStore', () => {
  it('falls back to the fallback store when Redis fails, logging once, and says when it is back', async () => {
    const evaluate = vi
      .fn()
      .mockRejectedValueOnce(new Error('Connection is closed.'))
      .mockRejectedValueOnce(new Error('Connection is closed.'))
      .mockResolvedValueOnce([7, 30_000]);
    const fallback = new MemoryRateLimitStore();
    const logger = new Logger('test');
    const error = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(logger, 'log').mockImplementation(() => undefined);
    const store = new RedisRateLimitStore({ eval: evaluate } as never, fallback, logger);

    expect(await store.hit('k', 60)).toEqual({ count: 1, resetSeconds: 60 });
    expect(await store.hit('k', 60)).toEqual({ count: 2, resetSeconds: 60 });
    expect(error).toHaveBeenCalledTimes(1);
    expect(await store.hit('k', 60)).toEqual({ count: 7, resetSeconds: 30 });
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/shared across instances/));
  });
});
