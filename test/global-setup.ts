/**
 * One fresh database per test run, migrated once, shared by every test file:
 * a new database on the server in TEST_DATABASE_URL (or DATABASE_URL), dropped afterwards,
 * or the embedded PostgreSQL in memory when no server is given.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { TestProject } from 'vitest/node';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { runPendingMigrations } from '../src/database/migrations-runner.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databasePoolSize: number;
    databaseKind: 'server' | 'embedded';
    /** The server's maintenance database, for tests that create databases of their own. */
    adminDatabaseUrl: string | undefined;
    /** A reachable Redis (TEST_REDIS_URL, else the local default), or undefined. */
    redisUrl: string | undefined;
    /** This run's folder for the mail of apps without SMTP_URL; removed when the run ends. */
    mailOutboxRoot: string;
  }
}

async function withAdminClient<T>(
  serverUrl: string,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function migrate(url: string): Promise<void> {
  const options = { ...dataSourceOptions({ url, poolSize: 1 }), logger: undefined, logging: false };
  const dataSource = await new DataSource(options).initialize();
  await runPendingMigrations(dataSource);
  await dataSource.destroy();
}

async function reachableRedis(): Promise<string | undefined> {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return url;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const removeMailOutbox = await provideMailOutbox(project);
  const teardown = await setUpDatabase(project);
  return () => teardown().finally(removeMailOutbox);
}

/** One folder a run, not one a worker left in the system's temp folder after every run. */
async function provideMailOutbox(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'whazz-test-outbox-'));
  project.provide('mailOutboxRoot', root);
  return () => rm(root, { recursive: true, force: true });
}

async function setUpDatabase(project: TestProject): Promise<() => Promise<void>> {
  project.provide('redisUrl', await reachableRedis());
  const serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres('memory://');
    await migrate(embedded.url);
    project.provide('databaseUrl', embedded.url);
    project.provide('databasePoolSize', 1);
    project.provide('databaseKind', 'embedded');
    project.provide('adminDatabaseUrl', undefined);
    return () => embedded.stop();
  }

  const name = `whazz_auth_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  project.provide('databaseUrl', url.toString());
  project.provide('databasePoolSize', 5);
  project.provide('databaseKind', 'server');
  project.provide('adminDatabaseUrl', serverUrl);
  return () =>
    withAdminClient(serverUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    ).then(() => undefined);
}
