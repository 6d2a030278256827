import { Logger } from '@nestjs/common';
import type { DatabaseConfig } from './database.config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export const DATABASE_SERVER = Symbol('DATABASE_SERVER');

export interface DatabaseServer {
  url: string;
  embedded: boolean;
  /** Where the data lives, without credentials: safe to log. */
  description: string;
  close(): Promise<void>;
}

function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL at the configured DATABASE_URL';
  }
}

/** DATABASE_URL (or POSTGRES_*) when given; otherwise the embedded PostgreSQL. */
export async function openDatabaseServer(config: DatabaseConfig): Promise<DatabaseServer> {
  if (config.url) {
    return {
      url: config.url,
      embedded: false,
      description: describeServer(config.url),
      close: async () => {},
    };
  }
  const embedded = await startEmbeddedPostgres(config.embeddedDirectory, (code, signal) => {
    // Every query would fail from now on while /health/live still said yes: better to stop,
    // so that whatever runs the service starts it again.
    new Logger('Database').fatal(
      `the embedded PostgreSQL process ended (${signal ?? code}); stopping the service`,
    );
    process.exit(1);
  });
  return {
    url: embedded.url,
    embedded: true,
    description: `embedded PostgreSQL (PGlite) in ${config.embeddedDirectory}; set DATABASE_URL to use a server`,
    close: () => embedded.stop(),
  };
}
