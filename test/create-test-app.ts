import 'reflect-metadata';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApp } from '../src/app.setup.js';
import { createRootLogger } from '../src/common/logging/app-logger.js';
import { buildConfiguration, type Configuration } from '../src/config/configuration.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

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
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const configuration = buildConfiguration({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'info',
    DATABASE_URL: inject('databaseUrl'),
    DATABASE_POOL_SIZE: String(inject('databasePoolSize')),
    DATABASE_RUN_MIGRATIONS: 'false',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const rootLogger = createRootLogger(configuration.app.logLevel, configuration.app.name, sink);
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
