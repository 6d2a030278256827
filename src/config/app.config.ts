import { availableParallelism } from 'node:os';
import { IsIn, IsString, Matches } from 'class-validator';
import packageJson from '../../package.json' with { type: 'json' };
import { defineFeatureConfig, IntegerSetting } from './feature-config.js';

export const NODE_ENVIRONMENTS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;

export class AppVariables {
  @IsIn(NODE_ENVIRONMENTS)
  NODE_ENV: (typeof NODE_ENVIRONMENTS)[number] = 'development';

  @IntegerSetting(0, 65535)
  PORT = 8000;

  @IsString()
  HOST = '127.0.0.1';

  /**
   * Seconds from SIGTERM to closing the listener, while `/health` answers 503 so the load
   * balancer stops sending requests before connections are refused. 0 closes at once.
   */
  @IntegerSetting(0, 300)
  SHUTDOWN_DRAIN_SECONDS = 0;

  /**
   * Seconds from closing the listener until every connection left is destroyed and the process
   * exits: a client that never reads its answer would otherwise hold the exit (issue #18).
   */
  @IntegerSetting(1, 600)
  SHUTDOWN_TIMEOUT_SECONDS = 10;

  /** Worker processes serving one port: a number, or `auto` for one per core. */
  @Matches(/^(auto|[1-9][0-9]?)$/, { message: 'must be a whole number from 1 to 99, or auto' })
  WEB_CONCURRENCY = '1';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** `auto`: readable lines on a terminal outside production, JSON lines otherwise. */
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: (typeof LOG_FORMATS)[number] = 'auto';

  /**
   * Proxies (load balancers) in front of the service whose X-Forwarded-For may be believed.
   * 0 takes the client address from the socket, so a forged header changes nothing.
   */
  @IntegerSetting(0, 10)
  TRUST_PROXY = 0;

  /**
   * Browser origins allowed to read answers (CORS): `*` for any (the default, as the FastAPI
   * service had it), a comma-separated list of origins, or `off`.
   */
  @IsString()
  CORS_ORIGINS = '*';

  /**
   * Seconds a client has to send a request's headers, from the connection (or, on a kept-alive
   * one, the request's first byte); then `408` (issue #18: slow clients held connections).
   */
  @IntegerSetting(1, 300)
  HEADERS_TIMEOUT_SECONDS = 10;

  /** Seconds a client has to send a whole request, headers and body; then `408`. */
  @IntegerSetting(1, 3600)
  REQUEST_TIMEOUT_SECONDS = 30;

  /**
   * Connections one client address (an IPv6 address by its /64) may hold open at once; more
   * are closed at once. `auto`: 100, or `off` when TRUST_PROXY is set (every connection then
   * comes from the proxy, which bounds its own clients).
   */
  @Matches(/^(auto|off|[1-9][0-9]{0,5})$/, {
    message: 'must be a whole number from 1 to 999999, auto or off',
  })
  CONNECTIONS_PER_ADDRESS = 'auto';
}

const DEFAULT_CONNECTIONS_PER_ADDRESS = 100;

/** `auto` → 100 with no proxy in front, none behind one; `off` → none; else the number. */
function connectionsPerAddress(value: string, trustProxyHops: number): number | null {
  if (value === 'off') return null;
  if (value === 'auto') return trustProxyHops > 0 ? null : DEFAULT_CONNECTIONS_PER_ADDRESS;
  return Number(value);
}

export function resolveWebConcurrency(value: string): number {
  return value === 'auto' ? availableParallelism() : Number(value);
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

/** The process as a whole: where it listens, how it logs, how many workers, how it stops. */
export const appConfig = defineFeatureConfig({
  namespace: 'app',
  title: 'Server',
  variables: AppVariables,
  settings: (env, { webConcurrency, problems }) => {
    if (env.HEADERS_TIMEOUT_SECONDS > env.REQUEST_TIMEOUT_SECONDS) {
      // Node refuses it too: the whole request cannot end before its headers do.
      problems.push('HEADERS_TIMEOUT_SECONDS: must not be more than REQUEST_TIMEOUT_SECONDS');
    }
    return {
      name: packageJson.name,
      version: packageJson.version,
      environment: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      logLevel: env.LOG_LEVEL,
      /** `auto` is decided where stdout is known: see chooseLogFormat(). */
      logFormat: env.LOG_FORMAT,
      /** The browser origins CORS lets read answers: `*` for any, a list, or `false` for none. */
      corsOrigins: parseCorsOrigins(env.CORS_ORIGINS, problems),
      /** Worker processes (node:cluster) sharing the port; 1 runs no cluster. */
      webConcurrency,
      /** From SIGTERM to closing the listener, with readiness failing meanwhile. */
      shutdownDrainMs: env.SHUTDOWN_DRAIN_SECONDS * 1000,
      /** From closing the listener to destroying the connections left and exiting. */
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_SECONDS * 1000,
      /** Proxy hops whose X-Forwarded-For is believed; 0 uses the socket address. */
      trustProxyHops: env.TRUST_PROXY,
      /** Until a connection's request headers are all in (Node's headersTimeout). */
      headersTimeoutMs: env.HEADERS_TIMEOUT_SECONDS * 1000,
      /** Until a connection's request, body included, is all in (Node's requestTimeout). */
      requestTimeoutMs: env.REQUEST_TIMEOUT_SECONDS * 1000,
      /** Open connections per client address; null for no cap. */
      connectionsPerAddress: connectionsPerAddress(env.CONNECTIONS_PER_ADDRESS, env.TRUST_PROXY),
    };
  },
});

export type AppConfig = ReturnType<typeof appConfig.settings>;
