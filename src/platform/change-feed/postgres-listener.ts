import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import pg from 'pg';
import { NOTIFY_CHANNEL, parseNotification, pingPayload } from './postgres-notification.js';

const APPLICATION_NAME = 'whazz-auth change feed';
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 10_000;
/** A ping through the pool normally comes back in a millisecond or two. */
const PING_TIMEOUT_MS = 2_000;
/** Connecting and every query: a connection that stops answering is dropped, not waited on. */
const TIMEOUT_MS = 5_000;

export interface ListenerHandlers {
  /** A change announced on the channel. */
  change(topic: string, entries: unknown[]): void;
  /** Listening, and proven to hear what other connections send: seed, then trust memory. */
  listening(): Promise<void>;
  /** Notifications may be missed from now on, until `listening` is called again. */
  lost(reason: string): void;
}

/**
 * One dedicated connection (a plain `pg` client, not one of the pool's) that LISTENs on the
 * feed's channel, and comes back after any loss, waiting longer after each failure.
 *
 * Before it calls itself listening, it sends a ping through the pool and waits to hear it:
 * behind a pooler in transaction mode, or on the embedded PGlite (one session behind its
 * socket: a notification goes back to the connection that committed it), LISTEN succeeds but
 * hears nothing, and memory must then never be trusted.
 */
export class PostgresListener {
  private client?: pg.Client;
  private listeningNow = false;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer?: NodeJS.Timeout;
  private awaitedPing?: { nonce: string; heard: () => void };

  constructor(
    private readonly url: string,
    /** Sends a notification through another connection (the pool). */
    private readonly sendThroughPool: (channel: string, payload: string) => Promise<unknown>,
    private readonly handlers: ListenerHandlers,
    private readonly logger: Logger,
  ) {}

  get ready(): boolean {
    return this.listeningNow;
  }

  /** The first attempt; resolves once seeded through `listening`, or failed (and retrying). */
  start(): Promise<void> {
    return this.connect();
  }

  /**
   * Proves the connection still answers. An idle connection can die without a word (a NAT
   * forgetting it): without this, only TCP keepalive would notice, minutes later.
   */
  async heartbeat(): Promise<void> {
    const client = this.client;
    if (!client || !this.listeningNow) return;
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.drop(client, `heartbeat failed: ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.listeningNow = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: TIMEOUT_MS,
      query_timeout: TIMEOUT_MS,
    });
    this.client = client;
    client.on('notification', ({ channel, payload }) => {
      if (channel === NOTIFY_CHANNEL) this.hear(payload ?? '');
    });
    // Kept after a drop too: an 'error' nobody listens to would end the process.
    client.on('error', (error) => this.drop(client, error.message));
    client.on('end', () => this.drop(client, 'connection closed'));
    let backendPid: number;
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number; version: string }>(
        'SELECT pg_backend_pid() AS pid, version() AS version',
      );
      if (rows[0]?.version.includes('PGlite')) return this.giveUp(client);
      backendPid = rows[0]!.pid;
      await client.query(`LISTEN "${NOTIFY_CHANNEL}"`);
      await this.pingThroughPool();
    } catch (error) {
      return this.drop(client, String(error));
    }
    if (client !== this.client) return;
    this.listeningNow = true;
    this.retryMs = FIRST_RETRY_MS;
    this.logger.log({
      msg: 'listening for changes',
      channel: NOTIFY_CHANNEL,
      backend_pid: backendPid,
    });
    await this.handlers.listening();
  }

  private hear(payload: string): void {
    const notification = parseNotification(payload);
    if (!notification) {
      this.logger.warn(`ignored a malformed notification on ${NOTIFY_CHANNEL}`);
    } else if (notification.kind === 'ping') {
      // Other instances' pings arrive too; only ours proves anything to us.
      if (notification.nonce === this.awaitedPing?.nonce) this.awaitedPing.heard();
    } else {
      this.handlers.change(notification.topic, notification.entries);
    }
  }

  /** Resolves once a notification sent through the pool comes back on this connection. */
  private async pingThroughPool(): Promise<void> {
    const nonce = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve, reject) => {
      this.awaitedPing = { nonce, heard: resolve };
      timer = setTimeout(
        () =>
          reject(
            new Error(
              'a notification sent through the pool did not arrive (a pooler in transaction mode?)',
            ),
          ),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.all([this.sendThroughPool(NOTIFY_CHANNEL, pingPayload(nonce)), heard]);
    } finally {
      clearTimeout(timer);
      if (this.awaitedPing?.nonce === nonce) this.awaitedPing = undefined;
    }
  }

  /** Forgets the client, tells the feed if it was listening, and tries again later. */
  private drop(client: pg.Client, reason: string): void {
    if (client !== this.client) return;
    this.client = undefined;
    const wasListening = this.listeningNow;
    this.listeningNow = false;
    client.end().catch(() => undefined);
    if (wasListening) this.handlers.lost(reason);
    if (this.stopped) return;
    this.logger.warn(
      `not listening for changes (${reason}); retrying in ${this.retryMs / 1000} s, bearer checks ask the database meanwhile`,
    );
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  /** PGlite cannot deliver to another connection, now or later: no point retrying. */
  private giveUp(client: pg.Client): void {
    this.client = undefined;
    client.end().catch(() => undefined);
    this.logger.warn(
      'the embedded database cannot notify other connections; bearer checks ask the database',
    );
  }
}
