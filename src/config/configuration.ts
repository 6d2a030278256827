import { config as loadDotenv } from 'dotenv';
import { accountConfig } from '../account/account.config.js';
import { impersonationConfig } from '../admin/impersonation.config.js';
import { auditConfig } from '../audit/audit.config.js';
import { authConfig } from '../auth/auth.config.js';
import { databaseConfig } from '../database/database.config.js';
import { loginBackoffConfig } from '../login-backoff/login-backoff.config.js';
import { mfaConfig } from '../mfa/mfa.config.js';
import { mailConfig } from '../mail/mail.config.js';
import { oauthConfig } from '../federation/oauth.config.js';
import { passwordsConfig } from '../passwords/passwords.config.js';
import { changeFeedConfig } from '../platform/change-feed/change-feed.config.js';
import { redisConfig } from '../platform/redis/redis.config.js';
import {
  DEFAULT_RATE_LIMIT,
  readRateLimits,
  type RateLimitSettings,
} from '../rate-limit/rate-limit.config.js';
import { securityEventsConfig } from '../security-events/security-events.config.js';
import { authorizationConfig } from '../authorization/authorization.config.js';
import { sessionsConfig } from '../sessions/sessions.config.js';
import { devicesConfig } from '../devices/devices.config.js';
import { signingKeysConfig } from '../tokens/signing-keys/signing-keys.config.js';
import { tokensConfig } from '../tokens/tokens.config.js';
import { webhooksConfig } from '../webhooks/webhooks.config.js';
import { appConfig, AppVariables, resolveWebConcurrency } from './app.config.js';
import {
  readVariables,
  type FeatureConfig,
  type RateLimitDeclaration,
  type SettingsContext,
} from './feature-config.js';

/**
 * Every feature's settings, in the order docs/configuration.md shows them. A feature with
 * settings of its own adds one line here (as it adds one to app.module.ts).
 */
export const FEATURE_CONFIGS = [
  appConfig,
  databaseConfig,
  redisConfig,
  changeFeedConfig,
  tokensConfig,
  signingKeysConfig,
  sessionsConfig,
  devicesConfig,
  passwordsConfig,
  authConfig,
  loginBackoffConfig,
  accountConfig,
  mailConfig,
  securityEventsConfig,
  authorizationConfig,
  auditConfig,
  impersonationConfig,
  oauthConfig,
  mfaConfig,
  webhooksConfig,
] as const;

type Feature = (typeof FEATURE_CONFIGS)[number];
type UnionToIntersection<U> = (U extends unknown ? (from: U) => void : never) extends (
  from: infer I,
) => void
  ? I
  : never;
type SettingsOf<F> = F extends {
  namespace: infer Namespace extends string;
  settings: (...args: never[]) => infer Settings;
}
  ? { [K in Namespace]: Settings }
  : never;
type LimitNamesOf<F> = F extends {
  rateLimits?: Readonly<Record<infer Name extends string, RateLimitDeclaration>>;
}
  ? Name
  : never;

/** Every rate limit a route or a service can count. */
export type RateLimitName = 'default' | LimitNamesOf<Feature>;

/** What `ConfigService<Configuration, true>` serves: one namespace per feature. */
export type Configuration = UnionToIntersection<SettingsOf<Feature>> & {
  rateLimits: RateLimitSettings<RateLimitName>;
};

export const RATE_LIMITS: Record<RateLimitName, RateLimitDeclaration> = Object.assign(
  { default: DEFAULT_RATE_LIMIT },
  ...FEATURE_CONFIGS.map((feature) => ('rateLimits' in feature ? feature.rateLimits : {})),
) as Record<RateLimitName, RateLimitDeclaration>;

/** Every rate limit's variable, for the bench and the test suites that turn them all off. */
export const RATE_LIMIT_VARIABLES = Object.values(RATE_LIMITS).map(({ variable }) => variable);

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Turns a raw environment into the typed configuration, or throws naming every problem. */
export function buildConfiguration(source: Record<string, unknown>): Configuration {
  const problems: string[] = [];
  // Every feature may depend on these two; a bad value is reported with the app's own.
  const app = readVariables(AppVariables, source, [], []);
  const context: SettingsContext = {
    environment: app.NODE_ENV,
    webConcurrency: resolveWebConcurrency(app.WEB_CONCURRENCY),
    problems,
    source,
  };
  const configuration: Record<string, unknown> = {};
  for (const feature of FEATURE_CONFIGS as readonly FeatureConfig[]) {
    const variables = feature.variables
      ? readVariables(feature.variables, source, feature.secrets ?? [], problems)
      : {};
    configuration[feature.namespace] = feature.settings(variables, context);
  }
  configuration.rateLimits = readRateLimits(RATE_LIMITS, source, problems);
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return configuration as Configuration;
}

/** The process's configuration: `.env` (if present) under the real environment. */
export function loadConfiguration(): Configuration {
  loadDotenv({ quiet: true });
  return buildConfiguration(process.env);
}
