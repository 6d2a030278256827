import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off'].includes(normalised)) return false;
  return value;
};

/** `<requests>/<window>` with the window in s, m or h (`30/1m`), or `off`. */
export const RATE_LIMIT_FORMAT = /^(off|[1-9][0-9]{0,6}\/[1-9][0-9]{0,5}[smh])$/;
const RATE_LIMIT_MESSAGE = 'must be <requests>/<window> such as 30/1m (s, m or h), or off';

const emptyAsUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every environment variable the service reads, with its default.
 * The README's configuration table mirrors this class; keep them together.
 */
export class EnvironmentVariables {
  @IsIn(NODE_ENVIRONMENTS)
  NODE_ENV: (typeof NODE_ENVIRONMENTS)[number] = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8000;

  @IsString()
  HOST = '127.0.0.1';

  /**
   * Seconds from SIGTERM to closing the listener, while `/health` answers 503 so the load
   * balancer stops sending requests before connections are refused. 0 closes at once.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  SHUTDOWN_DRAIN_SECONDS = 0;

  /** Worker processes serving one port: a number, or `auto` for one per core. */
  @Matches(/^(auto|[1-9][0-9]?)$/, { message: 'must be a whole number from 1 to 99, or auto' })
  WEB_CONCURRENCY = '1';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /**
   * Proxies (load balancers) in front of the service whose X-Forwarded-For may be believed.
   * 0 takes the client address from the socket, so a forged header changes nothing.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY = 0;

  /**
   * Browser origins allowed to read answers (CORS): `*` for any (the default, as the FastAPI
   * service had it), a comma-separated list of origins, or `off`. Checked in configuration.ts.
   */
  @IsString()
  CORS_ORIGINS = '*';

  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SECRET?: string;

  /** The FastAPI service's name for JWT_SECRET; read when JWT_SECRET is not set. */
  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  @MinLength(1)
  SECRET_KEY?: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'whazz-audio-auth';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'whazz-audio';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  ACCESS_TOKEN_EXPIRE_MINUTES = 15;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  REFRESH_TOKEN_EXPIRE_DAYS = 30;

  /** bcrypt work factor; 4 is only for tests, production refuses anything under 10. */
  @Type(() => Number)
  @IsInt()
  @Min(4)
  @Max(15)
  BCRYPT_COST = 12;

  /** Threads that hash passwords; 0 means one per core (divided among WEB_CONCURRENCY workers). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64)
  PASSWORD_HASH_THREADS = 0;

  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  DATABASE_URL?: string;

  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  POSTGRES_HOST?: string;

  /** The FastAPI template's name for POSTGRES_HOST. */
  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  POSTGRES_SERVER?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  POSTGRES_PORT = 5432;

  @IsString()
  POSTGRES_USER = 'postgres';

  @IsString()
  POSTGRES_PASSWORD = '';

  @IsString()
  POSTGRES_DB = 'whazz_auth';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBoolean)
  @IsBoolean()
  DATABASE_RUN_MIGRATIONS = true;

  /** Where the embedded PostgreSQL keeps its files; `memory://` keeps nothing. */
  @IsString()
  @MinLength(1)
  EMBEDDED_DATABASE_DIR = '.data/pglite';

  /** Per client address, on every route without a limit of its own (health checks excepted). */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_DEFAULT = '600/1m';

  /** Per client address. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_LOGIN = '30/1m';

  /** Per target account (the `username_or_email` in the body), from any address. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_LOGIN_ACCOUNT = '10/1m';

  /** Per client address. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_SIGNUP = '20/1h';

  /** Per client address. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_REFRESH = '60/1m';

  /** Per client address. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_FORGOT_PASSWORD = '10/1h';

  /** Per target email address, from any client address. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_FORGOT_PASSWORD_ACCOUNT = '3/1h';

  /** Per signed-in user. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_VERIFY_EMAIL_RESEND = '3/1h';

  /** Per signed-in user: each request mails two addresses, and a 409 says an address is taken. */
  @Matches(RATE_LIMIT_FORMAT, { message: RATE_LIMIT_MESSAGE })
  RATE_LIMIT_CHANGE_EMAIL = '5/1h';

  /** Failed logins for one account before each further attempt waits; 0 turns backoff off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  LOGIN_BACKOFF_AFTER_FAILURES = 5;

  /** The first wait; it doubles with each further failure. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 60 * 60)
  LOGIN_BACKOFF_INITIAL_SECONDS = 30;

  /** The longest single wait (README: what an attacker who keeps guessing can still do). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 60 * 60)
  LOGIN_BACKOFF_MAX_SECONDS = 900;

  /** Security events older than this are deleted. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  SECURITY_EVENTS_RETENTION_DAYS = 180;

  /** Login refuses accounts whose email address is not verified (403). */
  @Transform(toBoolean)
  @IsBoolean()
  REQUIRE_VERIFIED_EMAIL = false;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  EMAIL_VERIFICATION_TTL_HOURS = 24;

  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(24 * 60)
  PASSWORD_RESET_TTL_MINUTES = 30;

  /** `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://...:465`. Unset: outbox. */
  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  SMTP_URL?: string;

  @IsString()
  @MinLength(3)
  MAIL_FROM = 'Whazz Audio <no-reply@whazz.audio>';

  /** Where the links in mail point: the app that shows the verify and reset pages. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  APP_PUBLIC_URL = 'http://localhost:8000';

  /** Without SMTP_URL, mail is written here as text files a developer can open. */
  @IsString()
  @MinLength(1)
  MAIL_OUTBOX_DIR = '.data/outbox';

  /** Shares revocations between instances; without it every bearer request asks the database. */
  @Transform(emptyAsUndefined)
  @IsOptional()
  @IsString()
  REDIS_URL?: string;
}

/** Every per-route limit's variable, for the bench and the test suites that turn them all off. */
export const RATE_LIMIT_VARIABLES = Object.keys(new EnvironmentVariables()).filter((name) =>
  name.startsWith('RATE_LIMIT_'),
);

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Their values never reach a log line, not even in an error about them. */
const SECRET_VARIABLES = new Set([
  'JWT_SECRET',
  'SECRET_KEY',
  'DATABASE_URL',
  'POSTGRES_PASSWORD',
  'REDIS_URL',
  'SMTP_URL',
]);

function describe(errors: ValidationError[]): string[] {
  return errors.map((error) => {
    const reasons = Object.values(error.constraints ?? {}).join('; ');
    const shown = SECRET_VARIABLES.has(error.property)
      ? 'a hidden value'
      : JSON.stringify(error.value);
    return `${error.property}: ${reasons} (got ${shown})`;
  });
}

/** Parses and checks the raw environment; throws an error naming every bad variable. */
export function validateEnvironment(source: Record<string, unknown>): EnvironmentVariables {
  const known = Object.fromEntries(
    Object.keys(new EnvironmentVariables())
      .concat([
        'JWT_SECRET',
        'SECRET_KEY',
        'DATABASE_URL',
        'POSTGRES_HOST',
        'POSTGRES_SERVER',
        'REDIS_URL',
        'SMTP_URL',
      ])
      .filter((key) => source[key] !== undefined)
      .map((key) => [key, source[key]]),
  );
  const environment = plainToInstance(EnvironmentVariables, known, { exposeDefaultValues: true });
  const errors = validateSync(environment, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) throw new InvalidEnvironmentError(describe(errors));
  return environment;
}
