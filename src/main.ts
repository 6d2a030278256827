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
import { StartupRefusalError } from './config/startup-refusal.js';
import { ReadinessService } from './health/readiness.service.js';

/**
 * Configuration's problems, and a module's refusal at start-up (StartupRefusalError), end the
 * process the same way: one line a problem on stderr, exit 1, no stack trace. Anything else
 * is a bug, and keeps its stack.
 */
function exitIfRefused(error: unknown): never {
  if (!(error instanceof InvalidEnvironmentError || error instanceof StartupRefusalError)) {
    throw error;
  }
  process.stderr.write(`${error.message}\nSee docs/configuration.md.\n`);
  process.exit(1);
}

function configurationOrExit(): Configuration {
  try {
    return loadConfiguration();
  } catch (error) {
    exitIfRefused(error);
  }
}

async function serve(configuration: Configuration, rootLogger: PinoLogger): Promise<void> {
  const logger = new AppLogger(rootLogger);
  const app = await createApp(configuration, rootLogger);
  const { shutdownDrainMs, shutdownTimeoutMs } = configuration.app;
  // One shutdown, whatever signals follow: with workers, a Ctrl+C reaches each one twice (from
  // the terminal, and as SIGTERM from the primary), and two shutdowns would close twice.
  let shuttingDown = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      void shutDown(app, logger, signal, {
        drainMs: shutdownDrainMs,
        timeoutMs: shutdownTimeoutMs,
      });
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
/** How long the modules (pools, database) get to close once the connections are gone. */
const MODULES_CLOSE_MS = 5000;

interface ShutdownTimes {
  drainMs: number;
  timeoutMs: number;
}

/**
 * Not Nest's enableShutdownHooks(): it shuts the modules down (the hashing pool, the
 * database) before the HTTP server stops, so requests in flight never finished, and then
 * re-raises the signal, so the exit code was 143. Here readiness fails first and requests are
 * still served for `drainMs` (the load balancer takes the instance out meanwhile), then the
 * server stops taking connections and drains the requests in flight for at most `timeoutMs`,
 * then the modules shut down, then exit 0.
 */
async function shutDown(
  app: INestApplication,
  logger: AppLogger,
  signal: string,
  { drainMs, timeoutMs }: ShutdownTimes,
): Promise<void> {
  if (drainMs > 0) {
    app.get(ReadinessService).beginDraining();
    logger.log(`${signal}: readiness fails; still serving for ${drainMs / 1000} s`, 'Bootstrap');
    await new Promise((resolve) => setTimeout(resolve, drainMs));
  }
  logger.log(`${signal}: finishing the requests in flight, then exiting`, 'Bootstrap');
  // Whatever hangs (a module that does not close), the process ends.
  setTimeout(() => process.exit(1), timeoutMs + MODULES_CLOSE_MS).unref();
  try {
    const closing = (app.getHttpAdapter().getInstance() as FastifyInstance).close();
    await closeConnectionsWhile(closing, app.getHttpServer() as Server, logger, timeoutMs);
    await app.close();
    process.exit(0);
  } catch (error) {
    logger.error(`shutdown failed: ${String(error)}`, undefined, 'Bootstrap');
    process.exit(1);
  }
}

/**
 * Until the server has closed, closes the connections that would hold it: idle ones at once
 * (a keep-alive connection would wait out keepAliveTimeout, 72 s); after a grace for requests
 * nearly in, those whose request has not all arrived (else they wait for
 * REQUEST_TIMEOUT_SECONDS, issue #18); and at `timeoutMs` every one left, since nothing times
 * out an answer whose client does not read it.
 */
async function closeConnectionsWhile(
  closing: Promise<unknown>,
  server: Server,
  logger: AppLogger,
  timeoutMs: number,
): Promise<void> {
  const connections = ClientConnections.of(server);
  const startedAt = Date.now();
  let unanswered = 0;
  let answering = 0;
  const sweep = setInterval(() => {
    const elapsed = Date.now() - startedAt;
    if (elapsed >= timeoutMs) {
      answering += connections?.closeAll() ?? 0;
      server.closeAllConnections();
    } else if (elapsed >= UNFINISHED_REQUEST_GRACE_MS && connections) {
      unanswered += connections.closeUnanswered();
    } else server.closeIdleConnections();
  }, 100);
  await closing.finally(() => clearInterval(sweep));
  if (unanswered > 0) {
    logger.log(`closed ${unanswered} slow or idle connections at shutdown`, 'Bootstrap');
  }
  if (answering > 0) {
    logger.warn(
      `SHUTDOWN_TIMEOUT_SECONDS passed: closed ${answering} connections still being answered`,
      'Bootstrap',
    );
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
    shutdownTimeoutMs: configuration.app.shutdownTimeoutMs,
  });
} else {
  await serve(configuration, rootLogger).catch(exitIfRefused);
}
