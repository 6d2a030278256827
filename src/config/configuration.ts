import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { config as loadDotenv } from 'dotenv';
import packageJson from '../../package.json' with { type: 'json' };
import {
  InvalidEnvironmentError,
  validateEnvironment,
  type EnvironmentVariables,
} from './environment.js';

export interface AppConfig {
  name: string;
  version: string;
  environment: EnvironmentVariables['NODE_ENV'];
  host: string;
  port: number;
  logLevel: EnvironmentVariables['LOG_LEVEL'];
  /** `true` allows any origin; an empty list disables CORS. */
  corsOrigins: string[] | true;
  /** Worker processes (node:cluster) sharing the port; 1 runs no cluster. */
  webConcurrency: number;
}

export interface AuthConfig {
  jwtSecret: string;
  /** True when no secret was configured and a throwaway one was made for this process. */
  jwtSecretGenerated: boolean;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  bcryptCost: number;
  passwordHashThreads: number;
}

export interface DatabaseConfig {
  /** A real PostgreSQL server; undefined means the embedded one. */
  url: string | undefined;
  poolSize: number;
  runMigrations: boolean;
  embeddedDirectory: string;
}

export interface RedisConfig {
  /** Undefined: no Redis; bearer tokens are checked against the database. */
  url: string | undefined;
}

export interface Configuration {
  app: AppConfig;
  auth: AuthConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
}

const MIN_SECRET_BYTES = 32;
const MIN_PRODUCTION_BCRYPT_COST = 10;

/** Secrets published in docs and templates, ours included; production refuses them. */
const EXAMPLE_SECRETS = new Set([
  'change-me',
  'changeme',
  'secret',
  'your-secret-key',
  'your-secret-key-here',
  'replace-with-at-least-32-random-bytes-from-openssl-rand',
  '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7',
]);

function postgresUrlFromParts(env: EnvironmentVariables): string | undefined {
  const host = env.POSTGRES_HOST ?? env.POSTGRES_SERVER;
  if (!host) return undefined;
  const credentials = env.POSTGRES_PASSWORD
    ? `${encodeURIComponent(env.POSTGRES_USER)}:${encodeURIComponent(env.POSTGRES_PASSWORD)}`
    : encodeURIComponent(env.POSTGRES_USER);
  return `postgres://${credentials}@${host}:${env.POSTGRES_PORT}/${encodeURIComponent(env.POSTGRES_DB)}`;
}

function resolveJwtSecret(env: EnvironmentVariables, problems: string[]) {
  const configured = env.JWT_SECRET ?? env.SECRET_KEY;
  if (env.NODE_ENV !== 'production') {
    return configured
      ? { jwtSecret: configured, jwtSecretGenerated: false }
      : {
          jwtSecret: randomBytes(MIN_SECRET_BYTES).toString('base64url'),
          jwtSecretGenerated: true,
        };
  }
  if (!configured) {
    problems.push('JWT_SECRET: must be set when NODE_ENV=production');
  } else if (Buffer.byteLength(configured, 'utf8') < MIN_SECRET_BYTES) {
    problems.push(
      `JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes when NODE_ENV=production`,
    );
  } else if (EXAMPLE_SECRETS.has(configured.trim().toLowerCase())) {
    problems.push('JWT_SECRET: is a published example value; generate your own');
  }
  return { jwtSecret: configured ?? '', jwtSecretGenerated: false };
}

function parseCorsOrigins(value: string): string[] | true {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return origins.includes('*') ? true : origins;
}

/** Turns a raw environment into the typed configuration, or throws naming every problem. */
export function buildConfiguration(source: Record<string, unknown>): Configuration {
  const env = validateEnvironment(source);
  const problems: string[] = [];
  const secret = resolveJwtSecret(env, problems);
  if (env.NODE_ENV === 'production' && env.BCRYPT_COST < MIN_PRODUCTION_BCRYPT_COST) {
    problems.push(
      `BCRYPT_COST: must be at least ${MIN_PRODUCTION_BCRYPT_COST} when NODE_ENV=production`,
    );
  }
  const webConcurrency =
    env.WEB_CONCURRENCY === 'auto' ? availableParallelism() : Number(env.WEB_CONCURRENCY);
  if (webConcurrency > 1 && !env.DATABASE_URL && !(env.POSTGRES_HOST ?? env.POSTGRES_SERVER)) {
    problems.push(
      'WEB_CONCURRENCY: more than one worker needs DATABASE_URL (the embedded database lives in one process)',
    );
  }
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);

  return {
    app: {
      name: packageJson.name,
      version: packageJson.version,
      environment: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      logLevel: env.LOG_LEVEL,
      corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
      webConcurrency,
    },
    auth: {
      ...secret,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_EXPIRE_DAYS * 24 * 60 * 60,
      bcryptCost: env.BCRYPT_COST,
      // Workers share the cores: each gets its part unless told otherwise.
      passwordHashThreads:
        env.PASSWORD_HASH_THREADS ||
        Math.max(1, Math.floor(availableParallelism() / webConcurrency)),
    },
    database: {
      url: env.DATABASE_URL ?? postgresUrlFromParts(env),
      poolSize: env.DATABASE_POOL_SIZE,
      runMigrations: env.DATABASE_RUN_MIGRATIONS,
      embeddedDirectory: env.EMBEDDED_DATABASE_DIR,
    },
    redis: { url: env.REDIS_URL },
  };
}

/** The process's configuration: `.env` (if present) under the real environment. */
export function loadConfiguration(): Configuration {
  loadDotenv({ quiet: true });
  return buildConfiguration(process.env);
}
