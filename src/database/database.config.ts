import { Transform } from 'class-transformer';
import { IsBoolean, IsString, MinLength } from 'class-validator';
import {
  defineFeatureConfig,
  IntegerSetting,
  OptionalText,
  toBoolean,
} from '../config/feature-config.js';

export class DatabaseVariables {
  /** A PostgreSQL server; unset (and no POSTGRES_HOST): the embedded PostgreSQL. */
  @OptionalText()
  DATABASE_URL?: string;

  @OptionalText()
  POSTGRES_HOST?: string;

  /** The FastAPI template's name for POSTGRES_HOST. */
  @OptionalText()
  POSTGRES_SERVER?: string;

  @IntegerSetting(1, 65535)
  POSTGRES_PORT = 5432;

  @IsString()
  POSTGRES_USER = 'postgres';

  @IsString()
  POSTGRES_PASSWORD = '';

  @IsString()
  POSTGRES_DB = 'whazz_auth';

  @IntegerSetting(1, 200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_RUN_MIGRATIONS = true;

  /** Where the embedded PostgreSQL keeps its files; `memory://` keeps nothing. */
  @IsString()
  @MinLength(1)
  EMBEDDED_DATABASE_DIR = '.data/pglite';
}

function postgresUrlFromParts(env: DatabaseVariables): string | undefined {
  const host = env.POSTGRES_HOST ?? env.POSTGRES_SERVER;
  if (!host) return undefined;
  const credentials = env.POSTGRES_PASSWORD
    ? `${encodeURIComponent(env.POSTGRES_USER)}:${encodeURIComponent(env.POSTGRES_PASSWORD)}`
    : encodeURIComponent(env.POSTGRES_USER);
  return `postgres://${credentials}@${host}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
}

/** PostgreSQL: a server, or the embedded one. */
export const databaseConfig = defineFeatureConfig({
  namespace: 'database',
  title: 'Database',
  variables: DatabaseVariables,
  secrets: ['DATABASE_URL', 'POSTGRES_PASSWORD'],
  settings: (env, { webConcurrency, problems }) => {
    const url = env.DATABASE_URL ?? postgresUrlFromParts(env);
    if (webConcurrency > 1 && !url) {
      problems.push(
        'WEB_CONCURRENCY: more than one worker needs DATABASE_URL (the embedded database lives in one process)',
      );
    }
    return {
      /** A real PostgreSQL server; undefined means the embedded one. */
      url,
      poolSize: env.DATABASE_POOL_SIZE,
      runMigrations: env.DATABASE_RUN_MIGRATIONS,
      embeddedDirectory: env.EMBEDDED_DATABASE_DIR,
    };
  },
});

export type DatabaseConfig = ReturnType<typeof databaseConfig.settings>;
