import 'reflect-metadata';
import cluster from 'node:cluster';
import type { Logger as PinoLogger } from 'pino';
import { createApp } from './app.setup.js';
import { runClusterPrimary } from './cluster/cluster-primary.js';
import { AppLogger, createRootLogger } from './common/logging/app-logger.js';
import { loadConfiguration, type Configuration } from './config/configuration.js';
import { InvalidEnvironmentError } from './config/environment.js';

function configurationOrExit(): Configuration {
  try {
    return loadConfiguration();
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    process.stderr.write(`${error.message}\nSee the configuration table in README.md.\n`);
    process.exit(1);
  }
}

async function serve(configuration: Configuration, rootLogger: PinoLogger): Promise<void> {
  const logger = new AppLogger(rootLogger);
  const app = await createApp(configuration, rootLogger);
  app.enableShutdownHooks();

  if (configuration.auth.jwtSecretGenerated) {
    logger.warn(
      'JWT_SECRET is not set: using a random secret, so tokens die when the process restarts.',
      'Bootstrap',
    );
  }
  const { host, port, name, version } = configuration.app;
  await app.listen({ host, port });
  logger.log(`${name} ${version} listening on http://${host}:${port} (docs at /docs)`, 'Bootstrap');
}

const configuration = configurationOrExit();
const rootLogger = createRootLogger(configuration.app.logLevel, configuration.app.name);
if (configuration.app.webConcurrency > 1 && cluster.isPrimary) {
  // A secret made up here must be the same in every worker, or tokens work on one only.
  const env: Record<string, string> = configuration.auth.jwtSecretGenerated
    ? { JWT_SECRET: configuration.auth.jwtSecret }
    : {};
  runClusterPrimary({ workers: configuration.app.webConcurrency, env, logger: rootLogger });
} else {
  await serve(configuration, rootLogger);
}
