import 'reflect-metadata';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApp } from '../src/app.setup.js';
import { createRootLogger } from '../src/platform/logging/app-logger.js';
import { buildConfiguration, type Configuration } from '../src/config/configuration.js';
import { RATE_LIMIT_VARIABLES } from '../src/config/configuration.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/**
 * Every test request comes from 127.0.0.1, so per-address limits would make suites depend
 * on each other; the rate-limit suite turns them back on.
 */
const RATE_LIMITS_OFF = Object.fromEntries(RATE_LIMIT_VARIABLES.map((name) => [name, 'off']));

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  dataSource: DataSource;
  configuration: Configuration;
  /** Every JSON line the app logged, for tests that check what must never be logged. */
  logs: string[];
  close(): Promise<void>;
}

/** The real app (the same createApp() as main.ts) on the run's migrated test database. */
export async function createTestApp(
  env: Record<string, string | undefined> = {},
): Promise<TestApp> {
  const configuration = buildConfiguration({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'info',
    DATABASE_URL: inject('databaseUrl'),
    DATABASE_POOL_SIZE: String(inject('databasePoolSize')),
    DATABASE_RUN_MIGRATIONS: 'false',
    ...RATE_LIMITS_OFF,
    // Without SMTP_URL mail goes to an outbox folder: a throwaway one, not the repository's.
    MAIL_OUTBOX_DIR: join(inject('mailOutboxRoot'), String(process.pid)),
    // Test files share one database: only the webhook suites deliver (to their own receivers
    // on loopback), so no other suite's app sends their deliveries or refuses them.
    WEBHOOKS_DELIVERY_ENABLED: 'false',
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const rootLogger = createRootLogger(configuration.app.logLevel, configuration.app.name, {
    destination: sink,
  });
  const app = await createApp(configuration, rootLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    http: request(app.getHttpServer()),
    dataSource: app.get(DataSource),
    configuration,
    logs,
    close: () => app.close(),
  };
}
