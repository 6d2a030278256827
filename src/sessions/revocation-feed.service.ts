import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type { Configuration } from '../config/configuration.js';

const CHANNEL = 'whazz-auth:sessions-revoked';
/** How often the database is polled for revocations a lost message may have left out. */
const POLL_EVERY_MS = 5_000;
/** Overlap between polls, for clocks that disagree a little and transactions committing late. */
const POLL_OVERLAP_MS = 10_000;

export interface Revocation {
  id: string;
  revokedAt: Date;
}

type LoadRevokedSince = (since: Date) => Promise<Revocation[]>;

/**
 * The sessions revoked within the last access-token lifetime, in memory, so that checking a
 * bearer token costs no database round trip. Instances tell each other through Redis pub/sub,
 * and a short database poll catches anything a lost message missed.
 *
 * The in-memory answer is trusted only while `live`: Redis configured, subscribed, and seeded
 * from the database since the subscription (re)started. Otherwise callers ask the database,
 * so a revoked token is never accepted for want of a message.
 */
@Injectable()
export class RevocationFeedService {
  private readonly logger = new Logger(RevocationFeedService.name);
  private readonly redisUrl: string | undefined;
  private readonly accessTtlMs: number;
  /** Session id -> when its last access token expires (ms since epoch). */
  private readonly revoked = new Map<string, number>();
  private subscriber?: Redis;
  private publisher?: Redis;
  private seeded = false;
  private polledUpTo = 0;
  private pollTimer?: NodeJS.Timeout;
  private loadRevokedSince?: LoadRevokedSince;

  constructor(config: ConfigService<Configuration, true>) {
    this.redisUrl = config.get('redis', { infer: true }).url;
    this.accessTtlMs = config.get('auth', { infer: true }).accessTokenTtlSeconds * 1000;
  }

  get live(): boolean {
    return this.seeded && this.subscriber?.status === 'ready';
  }

  isRevoked(sessionId: string): boolean {
    const until = this.revoked.get(sessionId);
    return until !== undefined && until > Date.now();
  }

  async start(loadRevokedSince: LoadRevokedSince): Promise<void> {
    if (!this.redisUrl) return;
    this.loadRevokedSince = loadRevokedSince;
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    this.subscriber = new Redis(this.redisUrl, options);
    this.publisher = new Redis(this.redisUrl, options);
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    // After any reconnect, messages may have been missed: trust memory only once reseeded.
    this.subscriber.on('ready', () => void this.seed());
    this.subscriber.on('close', () => this.distrust('connection closed'));
    for (const client of [this.subscriber, this.publisher]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    }
    try {
      await Promise.all([this.subscriber.connect(), this.publisher.connect()]);
      await this.subscriber.subscribe(CHANNEL);
      // Seed again now that messages flow: a revocation between the first seed and the
      // subscription would otherwise wait for the next poll.
      await this.seed();
    } catch (error) {
      this.logger.error(
        `Redis unreachable (${String(error)}); checking every token against the database`,
      );
    }
    this.pollTimer = setInterval(() => void this.poll(), POLL_EVERY_MS);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pollTimer);
    this.seeded = false;
    const clients = [this.subscriber, this.publisher].filter((client) => client !== undefined);
    await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
  }

  /** Called once the revocations are committed to the database. */
  announce(revocations: Revocation[]): void {
    if (revocations.length === 0) return;
    this.remember(revocations);
    if (!this.publisher) return;
    const message = JSON.stringify(
      revocations.map(({ id, revokedAt }) => [id, revokedAt.getTime()]),
    );
    this.publisher.publish(CHANNEL, message).catch((error: unknown) => {
      // Other instances pick it up from their next database poll.
      this.logger.warn(`could not publish revocations: ${String(error)}`);
    });
  }

  private receive(message: string): void {
    try {
      const entries = JSON.parse(message) as [string, number][];
      this.remember(entries.map(([id, at]) => ({ id, revokedAt: new Date(at) })));
    } catch {
      this.logger.warn('ignored a malformed revocation message');
    }
  }

  private remember(revocations: Revocation[]): void {
    for (const { id, revokedAt } of revocations) {
      this.revoked.set(
        id,
        Math.max(this.revoked.get(id) ?? 0, revokedAt.getTime() + this.accessTtlMs),
      );
    }
  }

  private async seed(): Promise<void> {
    this.seeded = false;
    const since = Date.now() - this.accessTtlMs - POLL_OVERLAP_MS;
    if (await this.loadFromDatabase(since)) {
      this.seeded = true;
      this.logger.log('revocations in sync through Redis; bearer checks use memory');
    }
  }

  private async poll(): Promise<void> {
    for (const [id, until] of this.revoked) if (until <= Date.now()) this.revoked.delete(id);
    if (this.subscriber?.status !== 'ready') return;
    if (this.seeded) await this.loadFromDatabase(this.polledUpTo - POLL_OVERLAP_MS);
    else await this.seed();
  }

  private async loadFromDatabase(since: number): Promise<boolean> {
    const startedAt = Date.now();
    try {
      this.remember(await this.loadRevokedSince!(new Date(since)));
      this.polledUpTo = startedAt;
      return true;
    } catch (error) {
      this.distrust(`database poll failed: ${String(error)}`);
      return false;
    }
  }

  /** Until the next successful seed (on reconnect, or the next poll), the database decides. */
  private distrust(reason: string): void {
    if (this.seeded)
      this.logger.error(
        `revocation feed interrupted (${reason}); checking tokens against the database`,
      );
    this.seeded = false;
  }
}
