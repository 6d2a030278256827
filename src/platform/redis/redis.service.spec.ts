import { once } from 'node:events';
import type { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Configuration } from '../../config/configuration.js';
import { RedisService } from './redis.service.js';

const redisUrl = inject('redisUrl');

const configFor = (url: string) =>
  ({ get: () => ({ url }) }) as unknown as ConfigService<Configuration, true>;

describe.runIf(redisUrl)('RedisService', () => {
  let admin: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => {
    admin = new Redis(redisUrl!);
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    unhandled.length = 0;
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await admin.quit();
  });

  /** Drops one client's connection from the server side, as a network fault would. */
  async function dropConnection(client: Redis): Promise<void> {
    const address = `${client.stream.localAddress}:${client.stream.localPort}`;
    await admin.client('KILL', 'ADDR', address);
  }

  it('leaves no command of its own to reject when the network drops as it closes after a reconnect', async () => {
    const service = new RedisService(configFor(redisUrl!));
    await service.connect();
    const subscriber = service.subscriber!;
    await subscriber.subscribe('whazz-auth:redis-service-spec');

    await dropConnection(subscriber);
    await once(subscriber, 'ready');
    // Closing as the connection drops again: whatever is still unanswered is rejected.
    const closing = service.onApplicationShutdown();
    subscriber.stream.destroy();
    await closing;
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(unhandled).toEqual([]);
  });

  it('stops a client that cannot reach Redis from reconnecting once closed', async () => {
    // A port nothing listens on: the clients keep retrying, and quit cannot be sent.
    const service = new RedisService(configFor('redis://127.0.0.1:9'));
    service.commands!.on('error', () => undefined);
    await expect(service.connect()).rejects.toThrow();

    await service.onApplicationShutdown();
    const attempts: string[] = [];
    for (const client of [service.commands!, service.subscriber!]) {
      client.on('connecting', () => attempts.push(client.status));
    }
    // Longer than ioredis's first retry delays (50 ms a failed attempt so far).
    await new Promise((resolve) => setTimeout(resolve, 600));

    expect(attempts).toEqual([]);
  });
});
