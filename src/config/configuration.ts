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
  /** The browser origins CORS lets read answers: `*` for any, a list, or `false` for no CORS. */
  corsOrigins: '*' | string[] | false;
  /** Worker processes (node:cluster) sharing the port; 1 runs no cluster. */
  webConcurrency: number;
  /** From SIGTERM to closing the listener, with readiness failing meanwhile. */
  shutdownDrainMs: number;
  /** Proxy hops whose X-Forwarded-For is believed; 0 uses the socket address. */
  trustProxyHops: number;
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
  loginBackoff: LoginBackoffConfig;
  requireVerifiedEmail: boolean;
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
}

export interface MailConfig {
  /** Undefined: mail goes to `outboxDirectory` (development). */
  smtpUrl: string | undefined;
  from: string;
  /** Base of the links in mail, without a trailing slash. */
  publicUrl: string;
  outboxDirectory: string;
}

export interface LoginBackoffConfig {
  /** 0: no backoff. */
  afterFailures: number;
  initialSeconds: number;
  maxSeconds: number;
}

/** At most `limit` requests per `windowSeconds`; null means no limit. */
export interface RateLimitPolicy {
  limit: number;
  windowSeconds: number;
}

export const RATE_LIMIT_NAMES = [
  'default',
  'login',
  'login-account',
  'signup',
  'refresh',
  'forgot-password',
  'forgot-password-account',
  'verify-email-resend',
  'change-email',
] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];
export type RateLimitConfig = Record<RateLimitName, RateLimitPolicy | null>;

export interface SecurityEventsConfig {
  retentionDays: number;
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
  rateLimits: RateLimitConfig;
  securityEvents: SecurityEventsConfig;
  mail: MailConfig;
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

const WINDOW_UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** `30/1m` → 30 per 60 s; the format was checked by the environment's validation. */
function parseRateLimit(value: string): RateLimitPolicy | null {
  if (value === 'off') return null;
  const [limit = '', window = ''] = value.split('/');
  const unit = window.slice(-1) as keyof typeof WINDOW_UNIT_SECONDS;
  return {
    limit: Number(limit),
    windowSeconds: Number(window.slice(0, -1)) * WINDOW_UNIT_SECONDS[unit],
  };
}

const CORS_ORIGIN_EXAMPLE =
  'scheme://host[:port] and nothing after it, such as https://app.example.com';

/** `https://App.example.com:443/` → `https://app.example.com`, as browsers send it; else undefined. */
function canonicalOrigin(value: string): string | undefined {
  // `?`, `#` and `*` (a pattern) have no place in an origin, even where URL would drop them.
  if (/[?#*]/.test(value) || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  const bare =
    ['http:', 'https:'].includes(url.protocol) &&
    url.pathname === '/' &&
    !url.username &&
    !url.password;
  return bare ? url.origin : undefined;
}

/**
 * `*` (and unset: the FastAPI service's CORS was open to any origin), `off`, or a
 * comma-separated list of origins, each checked and written as browsers send it.
 */
function parseCorsOrigins(value: string, problems: string[]): '*' | string[] | false {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === '*') return '*';
  if (trimmed.toLowerCase() === 'off') return false;
  const origins: string[] = [];
  const items = trimmed
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) problems.push('CORS_ORIGINS: names no origin; write *, off or origins');
  for (const item of items) {
    const origin = canonicalOrigin(item);
    if (origin) origins.push(origin);
    else if (item === '*' || item.toLowerCase() === 'off')
      problems.push(`CORS_ORIGINS: ${item} stands alone, not in a list`);
    else problems.push(`CORS_ORIGINS: "${item}" is not an origin; write ${CORS_ORIGIN_EXAMPLE}`);
  }
  return origins;
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
  const corsOrigins = parseCorsOrigins(env.CORS_ORIGINS, problems);
  if (env.LOGIN_BACKOFF_MAX_SECONDS < env.LOGIN_BACKOFF_INITIAL_SECONDS) {
    problems.push('LOGIN_BACKOFF_MAX_SECONDS: must not be less than LOGIN_BACKOFF_INITIAL_SECONDS');
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
      corsOrigins,
      webConcurrency,
      shutdownDrainMs: env.SHUTDOWN_DRAIN_SECONDS * 1000,
      trustProxyHops: env.TRUST_PROXY,
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
      loginBackoff: {
        afterFailures: env.LOGIN_BACKOFF_AFTER_FAILURES,
        initialSeconds: env.LOGIN_BACKOFF_INITIAL_SECONDS,
        maxSeconds: env.LOGIN_BACKOFF_MAX_SECONDS,
      },
      requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL,
      emailVerificationTtlSeconds: env.EMAIL_VERIFICATION_TTL_HOURS * 3600,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_MINUTES * 60,
    },
    database: {
      url: env.DATABASE_URL ?? postgresUrlFromParts(env),
      poolSize: env.DATABASE_POOL_SIZE,
      runMigrations: env.DATABASE_RUN_MIGRATIONS,
      embeddedDirectory: env.EMBEDDED_DATABASE_DIR,
    },
    redis: { url: env.REDIS_URL },
    rateLimits: {
      default: parseRateLimit(env.RATE_LIMIT_DEFAULT),
      login: parseRateLimit(env.RATE_LIMIT_LOGIN),
      'login-account': parseRateLimit(env.RATE_LIMIT_LOGIN_ACCOUNT),
      signup: parseRateLimit(env.RATE_LIMIT_SIGNUP),
      refresh: parseRateLimit(env.RATE_LIMIT_REFRESH),
      'forgot-password': parseRateLimit(env.RATE_LIMIT_FORGOT_PASSWORD),
      'forgot-password-account': parseRateLimit(env.RATE_LIMIT_FORGOT_PASSWORD_ACCOUNT),
      'verify-email-resend': parseRateLimit(env.RATE_LIMIT_VERIFY_EMAIL_RESEND),
      'change-email': parseRateLimit(env.RATE_LIMIT_CHANGE_EMAIL),
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      publicUrl: env.APP_PUBLIC_URL.replace(/\/+$/, ''),
      outboxDirectory: env.MAIL_OUTBOX_DIR,
    },
    securityEvents: { retentionDays: env.SECURITY_EVENTS_RETENTION_DAYS },
  };
}

/** The process's configuration: `.env` (if present) under the real environment. */
export function loadConfiguration(): Configuration {
  loadDotenv({ quiet: true });
  return buildConfiguration(process.env);
}
