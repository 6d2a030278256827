import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Configuration } from '../../config/configuration.js';
import { RedisService } from '../redis/redis.service.js';
import { ChangeFeedService } from './change-feed.service.js';
import type { ListenerHandlers } from './postgres-listener.js';

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

/** Stands in for the LISTEN connection: the test decides when it listens and when it drops. */
class FakeListener {
  ready = false;
  constructor(
    _url: string,
    _sendThroughPool: unknown,
    private readonly handlers: ListenerHandlers,
  ) {
    listeners.push(this);
  }
  start = () => this.comeBack();
  heartbeat = () => Promise.resolve();
  stop = () => Promise.resolve();
  drop(): void {
    this.ready = false;
    this.handlers.lost('connection closed');
  }
  comeBack(): Promise<void> {
    this.ready = true;
    return this.handlers.listening();
  }
  hear(topic: string, entries: unknown[]): void {
    this.handlers.change(topic, entries);
  }
}

const listeners: FakeListener[] = [];
vi.mock('./postgres-listener.js', () => ({
  // Looked up when the feed constructs one, after this module has defined the class.
  PostgresListener: function PostgresListener(...args: ConstructorParameters<typeof FakeListener>) {
    return new FakeListener(...args);
  },
}));

/** The feed with these URLs (none: the embedded database alone), polling every second. */
function feedWith(urls: { redis?: string; database?: string } = {}): ChangeFeedService {
  const values: Record<string, unknown> = {
    redis: { url: urls.redis },
    database: { url: urls.database },
    changeFeed: { pollIntervalMs: 1_000 },
  };
  const config = { get: (key: string) => values[key] } as ConfigService<Configuration, true>;
  // No test here reaches the database: topics stand in for it.
  return new ChangeFeedService(config, {} as DataSource, new RedisService(config));
}

/** No Redis, embedded database: the feed polls on its own, which is what these tests watch. */
const aloneFeed = () => feedWith();

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
    const feed = feedWith({ redis: 'redis://fake' });
    // Every seed is slow: 2.5 s after it starts.
    feed.register({
      name: 'revocations',
      seed: () => new Promise((resolve) => setTimeout(resolve, 2_500)),
      poll: () => Promise.resolve(),
      receive: () => undefined,
    });
    void feed.onApplicationBootstrap(); // seed 1 starts at 0 s
    await vi.advanceTimersByTimeAsync(0);
    // RedisService opens the command connection first, then the subscriber.
    const subscriber = redisClients[1]!;

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

describe('ChangeFeedService through PostgreSQL notifications', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    listeners.length = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const postgresFeed = () => feedWith({ database: 'postgres://fake/db' });

  it('distrusts memory while not listening, and trusts it again only once reseeded', async () => {
    const feed = postgresFeed();
    let seeds = 0;
    feed.register({
      name: 'revocations',
      seed: () => {
        seeds += 1;
        return new Promise((resolve) => setTimeout(resolve, 200));
      },
      poll: () => Promise.resolve(),
      receive: () => undefined,
    });
    const started = feed.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(200);
    await started;
    expect(feed.live).toBe(true);
    const listener = listeners[0]!;

    listener.drop();
    expect(feed.live).toBe(false);
    // Polls do not reseed while nothing is heard: the seed could miss what follows it.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seeds).toBe(1);

    void listener.comeBack();
    await vi.advanceTimersByTimeAsync(100);
    expect(feed.live).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(feed.live).toBe(true);
    expect(seeds).toBe(2);
    feed.onModuleDestroy();
  });

  it('keeps polling what is read while not live (the signing keys) while nothing is heard', async () => {
    const feed = postgresFeed();
    const polled = { cache: 0, keys: 0 };
    feed.register({
      name: 'cache',
      seed: () => Promise.resolve(),
      poll: () => Promise.resolve(void (polled.cache += 1)),
      receive: () => undefined,
    });
    feed.register({
      name: 'keys',
      seed: () => Promise.resolve(),
      poll: () => Promise.resolve(void (polled.keys += 1)),
      receive: () => undefined,
      readWhileNotLive: true,
    });
    await feed.onApplicationBootstrap();
    listeners[0]!.drop();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(feed.live).toBe(false);
    expect(polled).toEqual({ cache: 0, keys: 3 });
    feed.onModuleDestroy();
  });

  it('does not let a seed begun before the listener dropped make memory trusted', async () => {
    const feed = postgresFeed();
    feed.register({
      name: 'revocations',
      seed: () => new Promise((resolve) => setTimeout(resolve, 2_500)),
      poll: () => Promise.resolve(),
      receive: () => undefined,
    });
    void feed.onApplicationBootstrap(); // seed 1 starts at 0 s
    await vi.advanceTimersByTimeAsync(500);
    const listener = listeners[0]!;
    listener.drop();
    await vi.advanceTimersByTimeAsync(100);
    void listener.comeBack(); // seed 2 starts at 0.6 s

    await vi.advanceTimersByTimeAsync(2_000); // 2.6 s: seed 1 is done, seed 2 is not
    expect(feed.live).toBe(false);
    await vi.advanceTimersByTimeAsync(600);
    expect(feed.live).toBe(true);
    feed.onModuleDestroy();
  });

  it('logs and ignores entries its topic cannot read, and keeps applying the next ones', async () => {
    const feed = postgresFeed();
    const received: string[] = [];
    feed.register({
      name: 'revocations',
      seed: () => Promise.resolve(),
      poll: () => Promise.resolve(),
      receive: (entries) => {
        for (const entry of entries) {
          if (typeof entry !== 'string') throw new TypeError('not an id');
          received.push(entry);
        }
      },
    });
    await feed.onApplicationBootstrap();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const listener = listeners[0]!;

    listener.hear('revocations', [42]);
    listener.hear('a-topic-nobody-registered', ['s0']);
    listener.hear('revocations', ['s1']);

    expect(received).toEqual(['s1']);
    expect(warn).toHaveBeenCalledWith('ignored a malformed message on revocations');
    expect(feed.live).toBe(true);
    warn.mockRestore();
    feed.onModuleDestroy();
  });
});
