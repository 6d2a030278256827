import { EventEmitter } from 'node:events';
import type { ConfigService } from '@nestjs/config';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Configuration } from '../../config/configuration.js';
import { ChangeFeedService } from './change-feed.service.js';

/** Stands in for an ioredis client: the test decides when it connects, drops and returns. */
class FakeRedis extends EventEmitter {
  status = 'wait';
  connect = () => {
    this.status = 'ready';
    return Promise.resolve();
  };
  subscribe = () => Promise.resolve();
  publish = () => Promise.resolve(0);
  quit = () => Promise.resolve('OK');
  drop(): void {
    this.status = 'reconnecting';
    this.emit('close');
  }
  comeBack(): void {
    this.status = 'ready';
    this.emit('ready');
  }
}

const redisClients: FakeRedis[] = [];
vi.mock('../redis/redis-client.js', () => ({
  createRedisClient: () => {
    const client = new FakeRedis();
    redisClients.push(client);
    return client;
  },
}));

/** No Redis, embedded database: the feed polls on its own, which is what these tests watch. */
function aloneFeed(): ChangeFeedService {
  // Both the 'redis' and the 'database' namespace: no URL.
  const config = { get: () => ({ url: undefined }) } as unknown as ConfigService<
    Configuration,
    true
  >;
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

  it('is live once seeded; a failing poll distrusts memory until the next resync', async () => {
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

describe('ChangeFeedService through Redis', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    redisClients.length = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not let a seed begun before an interruption make memory trusted', async () => {
    const config = {
      get: (key: string) => ({ url: key === 'redis' ? 'redis://fake' : undefined }),
    } as unknown as ConfigService<Configuration, true>;
    const feed = new ChangeFeedService(config);
    // Every seed is slow: 2.5 s after it starts.
    feed.register({
      name: 'revocations',
      seed: () => new Promise((resolve) => setTimeout(resolve, 2_500)),
      poll: () => Promise.resolve(),
      receive: () => undefined,
    });
    void feed.onApplicationBootstrap(); // seed 1 starts at 0 s
    await vi.advanceTimersByTimeAsync(0);
    const subscriber = redisClients[0]!;

    await vi.advanceTimersByTimeAsync(500);
    subscriber.drop(); // messages may be lost from here: seed 1 no longer counts
    await vi.advanceTimersByTimeAsync(100);
    subscriber.comeBack(); // seed 2 starts at 0.6 s

    await vi.advanceTimersByTimeAsync(2_000); // 2.6 s: seed 1 is done, seed 2 is not
    expect(feed.live).toBe(false);
    await vi.advanceTimersByTimeAsync(600); // 3.2 s: seed 2 is done
    expect(feed.live).toBe(true);
    feed.onModuleDestroy();
  });
});
