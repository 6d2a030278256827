import type { ConfigService } from '@nestjs/config';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Configuration } from '../config/configuration.js';
import { ChangeFeedService } from './change-feed.service.js';

/** No Redis, embedded database: the feed polls on its own, which is what these tests watch. */
function aloneFeed(): ChangeFeedService {
  const config = {
    get: (key: string) => (key === 'redis' ? { url: undefined } : { url: undefined }),
  } as unknown as ConfigService<Configuration, true>;
  return new ChangeFeedService(config);
}

describe('ChangeFeedService polling', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for a slow poll to finish instead of starting one every second', async () => {
    const feed = aloneFeed();
    let polls = 0;
    feed.register({
      name: 'slow',
      seed: () => Promise.resolve(),
      poll: async () => {
        polls += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_500));
      },
      receive: () => undefined,
    });
    await feed.onApplicationBootstrap();
    expect(feed.live).toBe(true);

    await vi.advanceTimersByTimeAsync(10_000);
    // Ticks at 1 s, 5 s and 9 s start a poll; the ones in between find one in flight.
    expect(polls).toBe(3);
    feed.onModuleDestroy();
  });

  it('is not live until a seed succeeds, and one failing poll makes it distrust memory', async () => {
    const feed = aloneFeed();
    let failNextPoll = false;
    feed.register({
      name: 'flaky',
      seed: () => Promise.resolve(),
      poll: () => (failNextPoll ? Promise.reject(new Error('database down')) : Promise.resolve()),
      receive: () => undefined,
    });
    expect(feed.live).toBe(false);
    await feed.onApplicationBootstrap();
    expect(feed.live).toBe(true);

    failNextPoll = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.live).toBe(false);

    failNextPoll = false;
    // The next tick reseeds instead of polling.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.live).toBe(true);
    feed.onModuleDestroy();
  });
});
