import { once } from 'node:events';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import type { Configuration } from '../../config/configuration.js';
import { createRedisClient } from './redis-client.js';

// A Redis that answers slower than this is treated as down for that command: every caller
// (a request's rate-limit count, a change's announcement) has a fallback that beats waiting.
const COMMAND_TIMEOUT_MS = 250;

/**
 * The process's Redis connections, when REDIS_URL is set: one for commands, shared by every
 * feature, and one for the change feed's subscription (a subscribed connection can run
 * nothing else). Opened once, reported once, closed after every feature has stopped.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  /** Undefined without REDIS_URL. */
  readonly commands?: Redis;
  /** Undefined without REDIS_URL. */
  readonly subscriber?: Redis;
  private connecting?: Promise<void>;
  private lastError?: string;

  constructor(config: ConfigService<Configuration, true>) {
    const { url } = config.get('redis', { infer: true });
    if (!url) return;
    this.commands = createRedisClient(url, { commandTimeout: COMMAND_TIMEOUT_MS });
    // The change feed subscribes again itself on every 'ready', with its failures handled.
    // ioredis's own resubscription (5.x, 6.0) leaves its promise unhandled: a connection that
    // drops again or closes during it would end the process (redis/ioredis#2187).
    this.subscriber = createRedisClient(url, { autoResubscribe: false });
    for (const client of [this.commands, this.subscriber]) {
      // ioredis repeats the error on every reconnect attempt: say it when it changes.
      client.on('error', (error: Error) => {
        if (error.message === this.lastError) return;
        this.lastError = error.message;
        this.logger.warn(error.message);
      });
      client.on('ready', () => (this.lastError = undefined));
    }
  }

  /**
   * Connects both, once however many features ask; rejects if Redis cannot be reached now
   * (the clients keep retrying, and each feature says what it does meanwhile).
   */
  connect(): Promise<void> {
    if (!this.commands || !this.subscriber) return Promise.resolve();
    this.connecting ??= Promise.all([this.commands.connect(), this.subscriber.connect()]).then(
      () => undefined,
    );
    return this.connecting;
  }

  /**
   * Features flush what they owe Redis before this (beforeApplicationShutdown). QUIT cannot
   * be sent while a client is between connections, and would not stop its retries: such a
   * client is disconnected instead, so nothing reconnects after the application has closed.
   */
  async onApplicationShutdown(): Promise<void> {
    const clients = [this.commands, this.subscriber].filter((client) => client !== undefined);
    await Promise.all(clients.map((client) => close(client)));
  }
}

async function close(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  // Not connected (never, or between attempts): there is nothing to flush and no socket whose
  // closing would emit 'end'; disconnecting cancels the next attempt.
  if (client.status === 'wait' || client.status === 'reconnecting') return client.disconnect();
  const ended = once(client, 'end');
  await client.quit().catch(() => client.disconnect());
  await ended;
}
