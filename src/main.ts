import 'reflect-metadata';
import cluster from 'node:cluster';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { createApp } from './app.setup.js';
import { ClientConnections } from './common/http/client-connections.js';
import { runClusterPrimary } from './platform/cluster/cluster-primary.js';
import { AppLogger, createRootLogger } from './platform/logging/app-logger.js';
import { chooseLogFormat } from './platform/logging/log-format.js';
import {
  InvalidEnvironmentError,
  loadConfiguration,
  type Configuration,
} from './config/configuration.js';
import { ReadinessService } from './health/readiness.service.js';

function configurationOrExit(): Configuration {
  try {
    return loadConfiguration();
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    process.stderr.write(`${error.message}\nSee docs/configuration.md.\n`);
    process.exit(1);
  }
}

async function serve(configuration: Configuration, rootLogger: PinoLogger): Promise<void> {
  const logger = new AppLogger(rootLogger);
  const app = await createApp(configuration, rootLogger);
  const { shutdownDrainMs } = configuration.app;
  // One shutdown, whatever signals follow: with workers, a Ctrl+C reaches each one twice (from
  // the terminal, and as SIGTERM from the primary), and two shutdowns would close twice.
  let shuttingDown = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      void shutDown(app, logger, signal, shutdownDrainMs);
    });
  }

  if (configuration.tokens.jwtSecretGenerated) {
    logger.warn(
      'JWT_SECRET is not set: using a random secret, so tokens die when the process restarts.',
      'Bootstrap',
    );
  }
  const { host, port, name, version } = configuration.app;
  await app.listen({ host, port });
  logger.log(`${name} ${version} listening on http://${host}:${port} (docs at /docs)`, 'Bootstrap');
}

/** How long a shutdown lets a request that is still arriving finish arriving. */
const UNFINISHED_REQUEST_GRACE_MS = 1000;

/**
 * Not Nest's enableShutdownHooks(): it shuts the modules down (the hashing pool, the
 * database) before the HTTP server stops, so requests in flight never finished, and then
 * re-raises the signal, so the exit code was 143. Here readiness fails first and requests are
 * still served for `drainMs` (the load balancer takes the instance out meanwhile), then the
 * server stops taking connections and drains the requests in flight, then the modules shut
 * down, then exit 0.
 */
async function shutDown(
  app: INestApplication,
  logger: AppLogger,
  signal: string,
  drainMs: number,
): Promise<void> {
  if (drainMs > 0) {
    app.get(ReadinessService).beginDraining();
    logger.log(`${signal}: readiness fails; still serving for ${drainMs / 1000} s`, 'Bootstrap');
    await new Promise((resolve) => setTimeout(resolve, drainMs));
  }
  logger.log(`${signal}: finishing the requests in flight, then exiting`, 'Bootstrap');
  try {
    const closing = (app.getHttpAdapter().getInstance() as FastifyInstance).close();
    // A keep-alive connection busy when closing began goes idle once its answer is sent;
    // Node would hold it open for keepAliveTimeout (72 s), and the close would wait for it.
    const server = app.getHttpServer() as Server;
    // A client still sending its request (slowly, or not at all) would hold the close until
    // REQUEST_TIMEOUT_SECONDS (issue #18): after a grace for requests nearly in, such
    // connections are closed too; requests that have all arrived are still answered.
    const connections = ClientConnections.of(server);
    let graceOver = false;
    const grace = setTimeout(() => (graceOver = true), UNFINISHED_REQUEST_GRACE_MS);
    const sweep = setInterval(() => {
      if (graceOver && connections) connections.closeUnanswered();
      else server.closeIdleConnections();
    }, 100);
    await closing.finally(() => {
      clearInterval(sweep);
      clearTimeout(grace);
    });
    await app.close();
    process.exit(0);
  } catch (error) {
    logger.error(`shutdown failed: ${String(error)}`, undefined, 'Bootstrap');
    process.exit(1);
  }
}

const configuration = configurationOrExit();
const { environment, logFormat, logLevel, name } = configuration.app;
const rootLogger = createRootLogger(logLevel, name, {
  format: chooseLogFormat(logFormat, environment === 'production', process.stdout.isTTY),
});
if (configuration.app.webConcurrency > 1 && cluster.isPrimary) {
  // A secret made up here must be the same in every worker, or tokens work on one only.
  const env: Record<string, string> = configuration.tokens.jwtSecretGenerated
    ? { JWT_SECRET: configuration.tokens.jwtSecret }
    : {};
  runClusterPrimary({
    workers: configuration.app.webConcurrency,
    env,
    logger: rootLogger,
    drainMs: configuration.app.shutdownDrainMs,
  });
} else {
  await serve(configuration, rootLogger);
}
