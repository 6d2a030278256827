import { randomBytes } from 'node:crypto';
import { IsString, MinLength } from 'class-validator';
import {
  defineFeatureConfig,
  IntegerSetting,
  OptionalIntegerSetting,
  OptionalText,
  type SettingsContext,
} from '../config/feature-config.js';

export class TokensVariables {
  @OptionalText()
  @MinLength(1)
  JWT_SECRET?: string;

  /** The FastAPI service's name for JWT_SECRET; read when JWT_SECRET is not set. */
  @OptionalText()
  @MinLength(1)
  SECRET_KEY?: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'whazz-audio-auth';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'whazz-audio';

  @IntegerSetting(1, 24 * 60)
  ACCESS_TOKEN_EXPIRE_MINUTES = 15;

  /**
   * Replaces ACCESS_TOKEN_EXPIRE_MINUTES when set (set or not, seconds win): lifetimes of
   * seconds, for tests and demos that cross several expiries (issue #23's browser proof of one
   * refresh per expiry). Empty counts as unset.
   */
  @OptionalIntegerSetting(5, 24 * 60 * 60)
  ACCESS_TOKEN_EXPIRE_SECONDS?: number;
}

const MIN_SECRET_BYTES = 32;

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

function resolveJwtSecret(env: TokensVariables, { environment, problems }: SettingsContext) {
  const configured = env.JWT_SECRET ?? env.SECRET_KEY;
  if (environment !== 'production') {
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

/** Access tokens: how they are signed and how long they live. */
export const tokensConfig = defineFeatureConfig({
  namespace: 'tokens',
  title: 'Access tokens',
  variables: TokensVariables,
  secrets: ['JWT_SECRET', 'SECRET_KEY'],
  settings: (env, context) => ({
    ...resolveJwtSecret(env, context),
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    accessTokenTtlSeconds: env.ACCESS_TOKEN_EXPIRE_SECONDS ?? env.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
  }),
});

export type TokensConfig = ReturnType<typeof tokensConfig.settings>;
