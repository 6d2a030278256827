import 'reflect-metadata';
import { createApp } from './app.setup.js';
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

async function bootstrap(): Promise<void> {
  const configuration = configurationOrExit();
  const rootLogger = createRootLogger(configuration.app.logLevel, configuration.app.name);
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

await bootstrap();
