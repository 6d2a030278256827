import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../redis/redis-client.js';
import type { Configuration } from '../../config/configuration.js';

const CHANNEL_PREFIX = 'whazz-auth:';
/**
 * How often each topic polls the database for changes no message announced: a lost one, or
 * a change made in plain SQL (a user disabled by hand). Within a second, like a logout.
 */
const POLL_EVERY_MS = 1_000;
/** Overlap between polls, for clocks that disagree a little and transactions committing late. */
const POLL_OVERLAP_MS = 10_000;

/** Something kept in memory on every instance and kept current through the feed. */
export interface FeedTopic {
  name: string;
  /** Rebuild from the database: at start and after any interruption. */
  seed(): Promise<void>;
  /** Apply what changed in the database since `since` (a safety net for lost messages). */
  poll(since: Date): Promise<void>;
  /** Apply what another instance (or this one) announced. */
  receive(payload: unknown): void;
}

/**
 * Lets instances tell each other what changed, through Redis pub/sub, so that what they keep
 * in memory (revoked sessions, cached users) stays current. PostgreSQL stays the source of
 * truth: topics seed from it, and poll it every second for what no message announced.
 *
 * Memory may be trusted only while `live`: every topic seeded since the subscription (re)started
 * and the subscription up. Otherwise callers go to the database. With the embedded database
 * and no Redis there is nobody to hear: that database belongs to this process alone (its
 * child, on a loopback port no other instance is given), so every change through the API is
 * made here, and memory is live once seeded (the poll still picks up changes made by hand).
 */
@Injectable()
export class ChangeFeedService
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger(ChangeFeedService.name);
  private readonly redisUrl: string | undefined;
  private readonly alone: boolean;
  private readonly topics = new Map<string, FeedTopic>();
  private subscriber?: Redis;
  private publisher?: Redis;
  private seeded = false;
  /** Bumped by every resync and interruption: a seed that finishes late must not count. */
  private generation = 0;
  private polledUpTo = 0;
  private pollTimer?: NodeJS.Timeout;
  /** A slow database must not pile polls (or the resyncs polls start) up, one a second. */
  private pollOrResyncInFlight = false;

  constructor(config: ConfigService<Configuration, true>) {
    this.redisUrl = config.get('redis', { infer: true }).url;
    this.alone = !this.redisUrl && !config.get('database', { infer: true }).url;
  }

  get live(): boolean {
    return this.seeded && (this.alone || this.subscriber?.status === 'ready');
  }

  /** Topics register while modules initialise; the feed starts once the app bootstraps. */
  register(topic: FeedTopic): void {
    this.topics.set(topic.name, topic);
  }

  /** Tells every instance, this one included; call once the change is committed. */
  publish(topicName: string, payload: unknown): void {
    this.topics.get(topicName)?.receive(payload);
    if (!this.publisher) return;
    this.publisher
      .publish(CHANNEL_PREFIX + topicName, JSON.stringify(payload))
      .catch((error: unknown) => {
        // Other instances pick the change up from their next database poll.
        this.logger.warn(`could not publish to ${topicName}: ${String(error)}`);
      });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.alone) {
      await this.resync();
      this.startPolling();
    }
    if (!this.redisUrl) return;
    this.subscriber = createRedisClient(this.redisUrl);
    this.publisher = createRedisClient(this.redisUrl);
    this.subscriber.on('message', (channel: string, message: string) =>
      this.receive(channel, message),
    );
    // After any (re)connect, messages may have been missed: trust memory only once resynced.
    this.subscriber.on('ready', () => void this.resync());
    this.subscriber.on('close', () => this.distrust('connection closed'));
    for (const client of [this.subscriber, this.publisher]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    try {
      await Promise.all([this.subscriber.connect(), this.publisher.connect()]);
      // The 'ready' handler has started a resync too; the start waits for one of its own.
      await this.resync();
    } catch (error) {
      this.logger.error(`Redis unreachable (${String(error)}); answering from the database`);
    }
    this.startPolling();
  }

  private startPolling(): void {
    this.pollTimer = setInterval(() => {
      if (this.pollOrResyncInFlight) return;
      this.pollOrResyncInFlight = true;
      void this.poll().finally(() => (this.pollOrResyncInFlight = false));
    }, POLL_EVERY_MS);
    this.pollTimer.unref();
  }

  /**
   * Before any module closes its connections (Nest runs every onModuleDestroy before any
   * shutdown hook): no poll starts from here on, and one in flight fails quietly, since memory
   * is no longer trusted.
   */
  onModuleDestroy(): void {
    clearInterval(this.pollTimer);
    this.generation += 1;
    this.seeded = false;
  }

  async onApplicationShutdown(): Promise<void> {
    const clients = [this.subscriber, this.publisher].filter((client) => client !== undefined);
    await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
  }

  private receive(channel: string, message: string): void {
    const topic = this.topics.get(channel.slice(CHANNEL_PREFIX.length));
    try {
      topic?.receive(JSON.parse(message) as unknown);
    } catch {
      this.logger.warn(`ignored a malformed message on ${channel}`);
    }
  }

  /**
   * Subscribes (again: a client that first connected while Redis was down never did, and
   * SUBSCRIBE to a channel already subscribed is harmless), then seeds every topic, so that
   * nothing published from then on is missed. Only the latest resync may make memory trusted.
   */
  private async resync(): Promise<void> {
    const generation = ++this.generation;
    this.seeded = false;
    const startedAt = Date.now();
    try {
      await this.subscriber?.subscribe(
        ...[...this.topics.keys()].map((name) => CHANNEL_PREFIX + name),
      );
      await Promise.all([...this.topics.values()].map((topic) => topic.seed()));
    } catch (error) {
      if (generation === this.generation) this.distrust(`resync failed: ${String(error)}`);
      return;
    }
    if (generation !== this.generation) return;
    this.polledUpTo = startedAt;
    this.seeded = true;
    this.logger.log(
      `in sync ${this.alone ? 'with the embedded database' : 'through Redis'}; answering bearer checks from memory`,
    );
  }

  private async poll(): Promise<void> {
    if (!this.alone && this.subscriber?.status !== 'ready') return;
    if (!this.seeded) return this.resync();
    const generation = this.generation;
    const startedAt = Date.now();
    const since = new Date(this.polledUpTo - POLL_OVERLAP_MS);
    try {
      await Promise.all([...this.topics.values()].map((topic) => topic.poll(since)));
      if (generation === this.generation) this.polledUpTo = startedAt;
    } catch (error) {
      if (generation === this.generation) this.distrust(`database poll failed: ${String(error)}`);
    }
  }

  /** Until the next successful seed (on reconnect, or the next poll), the database decides. */
  private distrust(reason: string): void {
    if (this.seeded)
      this.logger.error(`change feed interrupted (${reason}); answering from the database`);
    this.generation += 1;
    this.seeded = false;
  }
}
