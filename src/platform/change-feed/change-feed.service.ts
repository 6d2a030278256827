import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Redis } from 'ioredis';
import { DataSource, type EntityManager } from 'typeorm';
import { RedisService } from '../redis/redis.service.js';
import type { Configuration } from '../../config/configuration.js';
import { PostgresListener } from './postgres-listener.js';
import { notifyWithin } from './postgres-notification.js';

const CHANNEL_PREFIX = 'whazz-auth:';
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
  receive(entries: unknown[]): void;
  /**
   * Memory read whether the feed is live or not (the signing keys: there is no database to
   * fall back to per token). Polled even while no message can arrive, so that it never falls
   * more than a poll behind the table.
   */
  readWhileNotLive?: boolean;
}

/** Announces a change made in the current transaction; see `ChangeFeedService.transaction`. */
export type Announce = (topicName: string, entries: readonly unknown[]) => Promise<void>;

/**
 * Lets instances tell each other what changed, so that what they keep in memory (revoked
 * sessions, cached users) stays current: through Redis pub/sub when REDIS_URL is set, else
 * through PostgreSQL's LISTEN/NOTIFY (issue 17, point 4). PostgreSQL stays the source of
 * truth: topics seed from it, and poll it (every second by default) for what no message
 * announced.
 *
 * Memory may be trusted only while `live`: every topic seeded since the subscription (or the
 * LISTEN) (re)started, and it still up. Otherwise callers go to the database. With the
 * embedded database and no Redis there is nobody to hear: that database belongs to this
 * process alone (its child, on a loopback port no other instance is given), so every change
 * through the API is made here, and memory is live once seeded (the poll still picks up
 * changes made by hand).
 */
@Injectable()
export class ChangeFeedService
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger(ChangeFeedService.name);
  private readonly redisUrl: string | undefined;
  /** Set when PostgreSQL carries the feed: a server, and no Redis. */
  private readonly notifyUrl: string | undefined;
  private readonly alone: boolean;
  private readonly pollEveryMs: number;
  private readonly topics = new Map<string, FeedTopic>();
  private readonly subscriber?: Redis;
  private readonly publisher?: Redis;
  private listener?: PostgresListener;
  private seeded = false;
  /** Bumped by every resync and interruption: a seed that finishes late must not count. */
  private generation = 0;
  private polledUpTo = 0;
  private pollTimer?: NodeJS.Timeout;
  /** A slow database must not pile polls (or the resyncs polls start) up, one a second. */
  private pollOrResyncInFlight = false;

  constructor(
    config: ConfigService<Configuration, true>,
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
  ) {
    this.redisUrl = config.get('redis', { infer: true }).url;
    this.subscriber = redis.subscriber;
    this.publisher = redis.commands;
    const databaseUrl = config.get('database', { infer: true }).url;
    this.notifyUrl = this.redisUrl ? undefined : databaseUrl;
    this.alone = !this.redisUrl && !databaseUrl;
    this.pollEveryMs = config.get('changeFeed', { infer: true }).pollIntervalMs;
  }

  get live(): boolean {
    return this.seeded && (this.alone || this.connected);
  }

  /** The subscription or the LISTEN is up. */
  private get connected(): boolean {
    return this.subscriber?.status === 'ready' || this.listener?.ready === true;
  }

  /** Topics register while modules initialise; the feed starts once the app bootstraps. */
  register(topic: FeedTopic): void {
    this.topics.set(topic.name, topic);
  }

  /**
   * Runs `change` in one transaction; what it announces reaches every instance only if that
   * commits. Through PostgreSQL, the notification is sent inside the transaction, so it is
   * delivered with the commit and never after a rollback; through Redis it is published
   * once committed. This instance applies it at once after the commit either way.
   */
  async transaction<T>(
    change: (manager: EntityManager, announce: Announce) => Promise<T>,
  ): Promise<T> {
    const announced: [string, readonly unknown[]][] = [];
    const result = await this.dataSource.transaction((manager) =>
      change(manager, async (topicName, entries) => {
        if (entries.length === 0) return;
        announced.push([topicName, entries]);
        if (this.notifyUrl) await notifyWithin(manager, topicName, entries);
      }),
    );
    for (const [topicName, entries] of announced) this.publishCommitted(topicName, entries);
    return result;
  }

  /** Tells this instance, and the others when Redis carries the feed. */
  private publishCommitted(topicName: string, entries: readonly unknown[]): void {
    this.deliver(topicName, [...entries]);
    if (!this.publisher) return;
    this.publisher
      .publish(CHANNEL_PREFIX + topicName, JSON.stringify(entries))
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
    if (this.notifyUrl) await this.listen(this.notifyUrl);
    if (!this.subscriber) return;
    this.subscriber.on('message', (channel: string, message: string) =>
      this.receive(channel, message),
    );
    // After any (re)connect, messages may have been missed: trust memory only once resynced.
    this.subscriber.on('ready', () => void this.resync());
    this.subscriber.on('close', () => this.distrust('connection closed'));
    try {
      await this.redis.connect();
      // The 'ready' handler has started a resync too; the start waits for one of its own.
      await this.resync();
    } catch (error) {
      this.logger.error(`Redis unreachable (${String(error)}); answering from the database`);
    }
    this.startPolling();
  }

  /** Resolves once memory is trusted, or the first attempt failed (it is retried meanwhile). */
  private async listen(url: string): Promise<void> {
    this.listener = new PostgresListener(
      url,
      (channel, payload) => this.dataSource.query('SELECT pg_notify($1, $2)', [channel, payload]),
      {
        change: (topicName, entries) => this.deliver(topicName, entries),
        listening: () => this.resync(),
        lost: (reason) => this.distrust(reason),
      },
      this.logger,
    );
    await this.listener.start();
    this.startPolling();
  }

  private startPolling(): void {
    this.pollTimer = setInterval(() => {
      if (this.pollOrResyncInFlight) return;
      this.pollOrResyncInFlight = true;
      void this.poll().finally(() => (this.pollOrResyncInFlight = false));
    }, this.pollEveryMs);
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

  /** The Redis connections are RedisService's to close. */
  async onApplicationShutdown(): Promise<void> {
    await this.listener?.stop();
  }

  private receive(channel: string, message: string): void {
    let entries: unknown;
    try {
      entries = JSON.parse(message);
    } catch {
      entries = undefined;
    }
    if (Array.isArray(entries)) this.deliver(channel.slice(CHANNEL_PREFIX.length), entries);
    else this.logger.warn(`ignored a malformed message on ${channel}`);
  }

  /** A malformed message is logged and dropped; the poll is there for anything it meant. */
  private deliver(topicName: string, entries: unknown[]): void {
    try {
      this.topics.get(topicName)?.receive(entries);
    } catch {
      this.logger.warn(`ignored a malformed message on ${topicName}`);
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
    const through = this.alone
      ? 'with the embedded database'
      : this.notifyUrl
        ? 'through PostgreSQL notifications'
        : 'through Redis';
    this.logger.log(`in sync ${through}; answering bearer checks from memory`);
  }

  private async poll(): Promise<void> {
    if (!this.alone && !this.connected) return this.pollWhatIsReadWhileNotLive();
    if (!this.seeded) return this.resync();
    const generation = this.generation;
    const startedAt = Date.now();
    const since = new Date(this.polledUpTo - POLL_OVERLAP_MS);
    try {
      await Promise.all([
        ...[...this.topics.values()].map((topic) => topic.poll(since)),
        this.listener?.heartbeat(),
      ]);
      if (generation === this.generation) this.polledUpTo = startedAt;
    } catch (error) {
      if (generation === this.generation) this.distrust(`database poll failed: ${String(error)}`);
    }
  }

  /**
   * No message can arrive (Redis or the LISTEN down, or a LISTEN that hears nothing: the
   * embedded database behind a URL, a pooler in transaction mode). Caches wait for the resync
   * that the reconnection starts; what is read regardless follows the table meanwhile.
   */
  private async pollWhatIsReadWhileNotLive(): Promise<void> {
    const since = new Date(this.polledUpTo - POLL_OVERLAP_MS);
    await Promise.all(
      [...this.topics.values()]
        .filter((topic) => topic.readWhileNotLive)
        // A failing database shows in the listener's or Redis's own lines; not once a second.
        .map((topic) => topic.poll(since).catch(() => undefined)),
    );
  }

  /** Until the next successful seed (on reconnect, or the next poll), the database decides. */
  private distrust(reason: string): void {
    if (this.seeded)
      this.logger.error(`change feed interrupted (${reason}); answering from the database`);
    this.generation += 1;
    this.seeded = false;
  }
}
