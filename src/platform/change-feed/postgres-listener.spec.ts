import { Logger } from '@nestjs/common';
import pg from 'pg';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { PostgresListener, type ListenerHandlers } from './postgres-listener.js';

const databaseUrl = inject('databaseUrl');
const kind = inject('databaseKind');

/** What the listener told the feed, and what it logged. */
function recorder() {
  const calls: string[] = [];
  const handlers: ListenerHandlers = {
    change: (topic) => void calls.push(`change ${topic}`),
    listening: () => Promise.resolve(void calls.push('listening')),
    lost: (reason) => void calls.push(`lost ${reason}`),
  };
  const warnings: string[] = [];
  const logger = new Logger('spec');
  vi.spyOn(logger, 'warn').mockImplementation((message: string) => void warnings.push(message));
  vi.spyOn(logger, 'log').mockImplementation(() => undefined);
  return { calls, handlers, warnings, logger };
}

/** Sends through a connection of its own, as the app's pool would. */
async function sender(): Promise<{
  send: (channel: string, payload: string) => Promise<unknown>;
  close: () => Promise<void>;
}> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return {
    send: (channel, payload) => client.query('SELECT pg_notify($1, $2)', [channel, payload]),
    close: () => client.end(),
  };
}

describe('PostgresListener', () => {
  let listener: PostgresListener | undefined;
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
  });

  it.runIf(kind === 'server')(
    'listens once a ping sent through another connection comes back',
    async () => {
      const { calls, handlers, logger } = recorder();
      const pool = await sender();
      listener = new PostgresListener(databaseUrl, pool.send, handlers, logger);
      await listener.start();
      expect(listener.ready).toBe(true);
      expect(calls).toEqual(['listening']);
      await pool.close();
    },
  );

  it.runIf(kind === 'server')(
    'never calls itself listening when the ping is not heard (a pooler in transaction mode)',
    async () => {
      const { calls, handlers, warnings, logger } = recorder();
      // LISTEN works, but what is "sent" never reaches it: as behind PgBouncer's transaction mode.
      listener = new PostgresListener(databaseUrl, () => Promise.resolve(), handlers, logger);
      await listener.start();
      expect(listener.ready).toBe(false);
      expect(calls).toEqual([]);
      expect(warnings[0]).toMatch(
        /did not arrive \(a pooler in transaction mode\?\)\); retrying in 1 s/,
      );
    },
  );

  it.runIf(kind === 'embedded')(
    'gives up at once on the embedded PGlite, which cannot notify another connection',
    async () => {
      const { calls, handlers, warnings, logger } = recorder();
      const pool = await sender();
      listener = new PostgresListener(databaseUrl, pool.send, handlers, logger);
      const startedAt = Date.now();
      await listener.start();
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect(listener.ready).toBe(false);
      expect(calls).toEqual([]);
      expect(warnings).toEqual([
        'the embedded database cannot notify other connections; bearer checks ask the database',
      ]);
      await pool.close();
    },
  );
});
