import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { BatchedRateLimitStore } from './batched-rate-limit.store.js';
import { MemoryRateLimitStore, RedisRateLimitStore } from './rate-limit.store.js';

const redisUrl = inject('redisUrl');

describe.runIf(redisUrl)('BatchedRateLimitStore over Redis', () => {
  let redis: Redis;
  const opened: BatchedRateLimitStore[] = [];

  /** One service instance's view: its own batch, the shared Redis. */
  function instance({ maxKeys = 100, intervalMs = 60_000 } = {}): BatchedRateLimitStore {
    const shared = new RedisRateLimitStore(redis, new MemoryRateLimitStore(), new Logger('test'));
    // A long interval unless a test is about it: the tests send when they mean to.
    const store = new BatchedRateLimitStore(shared, { maxKeys, intervalMs });
    opened.push(store);
    return store;
  }
  const counted = async (key: string) =>
    Number((await redis.get(`whazz-auth:rate-limit:${key}`)) ?? 0);
  const counts = async (store: BatchedRateLimitStore, key: string, times: number, limit = 100) => {
    const seen: number[] = [];
    for (let i = 0; i < times; i += 1) {
      seen.push((await store.hit(key, { limit, windowSeconds: 60 })).count);
    }
    return seen;
  };

  beforeAll(() => {
    redis = new Redis(redisUrl!);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("asks Redis for a key's first request, then counts here and sends the batch", async () => {
    const store = instance();
    const key = randomUUID();
    expect(await counts(store, key, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await counted(key)).toBe(1);

    await store.send();
    expect(await counted(key)).toBe(10);
  });

  it('answers at once what it counts here, and waits for Redis only for what Redis counts', async () => {
    const store = instance();
    const key = randomUUID();
    const policy = { limit: 4, windowSeconds: 60 };
    const first = store.hit(key, policy);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ count: 1 });
    // Below half the limit: no promise, so the guard lets the request on without a turn.
    expect(store.hit(key, policy)).toMatchObject({ count: 2 });
    const pastHalf = store.hit(key, policy);
    expect(pastHalf).toBeInstanceOf(Promise);
    expect(await pastHalf).toMatchObject({ count: 3 });
  });

  it('sends on its own every interval', async () => {
    const store = instance({ intervalMs: 100 });
    const key = randomUUID();
    await counts(store, key, 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await counted(key)).toBe(5);
  });

  it('counts every request in Redis past half the limit, so two instances share one budget near it', async () => {
    const [a, b] = [instance(), instance()];
    const key = randomUUID();
    // Below half of 10: each instance counts its own four, Redis has only the first of each.
    expect(await counts(a, key, 4, 10)).toEqual([1, 2, 3, 4]);
    expect(await counts(b, key, 4, 10)).toEqual([2, 3, 4, 5]);
    expect(await counted(key)).toBe(2);
    await Promise.all([a.send(), b.send()]);
    expect(await counted(key)).toBe(8);

    // Past half: the shared count, request by request, whichever instance takes it.
    const seen = [];
    for (const store of [a, b, a, b]) seen.push(...(await counts(store, key, 1, 10)));
    expect(seen).toEqual([9, 10, 11, 12]);
    expect(await counted(key)).toBe(12);
  });

  it('sends what waits with the next request that goes to Redis', async () => {
    const store = instance();
    const key = randomUUID();
    await counts(store, key, 5, 10); // 1 asked, 4 waiting
    expect(await counts(store, key, 1, 10)).toEqual([6]);
    expect(await counted(key)).toBe(6);
  });

  it('sends what waits when closed: nothing counted is lost at shutdown', async () => {
    const store = instance();
    const key = randomUUID();
    await counts(store, key, 7);
    await store.close();
    expect(await counted(key)).toBe(7);
  });

  it('sends the waiting requests of a key it drops for room, and asks Redis again after', async () => {
    const store = instance({ maxKeys: 2 });
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    await counts(store, first, 3);
    await counts(store, second, 1);
    await counts(store, third, 1); // no room: `first` goes, its two waiting requests sent
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await counted(first)).toBe(3);
    expect(await counts(store, first, 1)).toEqual([4]);
  });

  it('starts a new window at Redis when the old one ends, dropping what waited for it', async () => {
    const store = instance();
    const key = randomUUID();
    const policy = { limit: 100, windowSeconds: 1 };
    await store.hit(key, policy);
    await store.hit(key, policy);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await store.hit(key, policy)).toEqual({ count: 1, resetSeconds: 1 });
    expect(await counted(key)).toBe(1);
  });
});
