import { IsIn, IsUrl } from 'class-validator';
import {
  defineFeatureConfig,
  IntegerSetting,
  OptionalText,
  type SettingsContext,
} from '../../config/feature-config.js';
import {
  developmentKey,
  parseEncryptionKey,
  parseEncryptionKeys,
} from '../../platform/crypto/encryption-keys.js';

/** What signs access tokens: an asymmetric key from `signing_keys`, or JWT_SECRET (HS256). */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'HS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export type AsymmetricAlgorithm = Exclude<SigningAlgorithm, 'HS256'>;

export class SigningKeysVariables {
  @IsIn(SIGNING_ALGORITHMS)
  JWT_SIGNING_ALGORITHM: SigningAlgorithm = 'EdDSA';

  /** base64 of 32 random bytes (`openssl rand -base64 32`): encrypts the private keys at rest. */
  @OptionalText()
  SIGNING_KEY_ENCRYPTION_KEY?: string;

  /** Comma-separated earlier key-encryption keys, still read. */
  @OptionalText()
  SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS?: string;

  /** How long a new key is only published before it signs: verifiers' JWKS caches catch up. */
  @IntegerSetting(0, 7 * 24 * 60 * 60)
  SIGNING_KEY_ACTIVATION_DELAY_SECONDS = 600;

  /** Days between automatic rotations; 0: only by hand. */
  @IntegerSetting(0, 3650)
  SIGNING_KEY_ROTATION_DAYS = 0;

  /**
   * Where other services reach this one: the issuer (`iss` of key-signed tokens and of the
   * discovery document, which must be identical, OIDC Discovery §4.3) and the base of `jwks_uri`.
   */
  @OptionalText()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  AUTH_PUBLIC_URL?: string;
}

/** Outside production only: where `npm run start:dev` listens. */
const DEVELOPMENT_PUBLIC_URL = 'http://localhost:8000';

/** Production: set, and https (the issuer URL verifiers fetch the keys from). */
function resolvePublicUrl(env: SigningKeysVariables, { environment, problems }: SettingsContext) {
  const url = env.AUTH_PUBLIC_URL?.replace(/\/+$/, '');
  if (environment === 'production' && env.JWT_SIGNING_ALGORITHM !== 'HS256') {
    if (!url) {
      problems.push(
        'AUTH_PUBLIC_URL: must be set when NODE_ENV=production (the issuer other services discover the keys from)',
      );
    } else if (!url.startsWith('https://')) {
      problems.push('AUTH_PUBLIC_URL: must be an https URL when NODE_ENV=production');
    }
  }
  return url ?? DEVELOPMENT_PUBLIC_URL;
}

/**
 * Development and tests without a key: a fixed, published key. Production refuses to start
 * without SIGNING_KEY_ENCRYPTION_KEY while it signs with a key from the database.
 */
const DEVELOPMENT_KEY = developmentKey('whazz-audio-development-signing-key-encryption-key');

function resolveEncryptionKeys(
  env: SigningKeysVariables,
  { environment, problems }: SettingsContext,
) {
  const current = env.SIGNING_KEY_ENCRYPTION_KEY
    ? parseEncryptionKey('SIGNING_KEY_ENCRYPTION_KEY', env.SIGNING_KEY_ENCRYPTION_KEY, problems)
    : undefined;
  const previous = parseEncryptionKeys(
    'SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS',
    env.SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS,
    problems,
  );
  if (current) {
    return {
      encryptionKey: current,
      previousEncryptionKeys: previous,
      encryptionKeyIsDevelopment: false,
    };
  }
  if (environment !== 'production') {
    return {
      encryptionKey: DEVELOPMENT_KEY,
      previousEncryptionKeys: previous,
      /** Published in this file: it never seals beside keys sealed with a real one. */
      encryptionKeyIsDevelopment: true,
    };
  }
  if (env.JWT_SIGNING_ALGORITHM !== 'HS256') {
    problems.push(
      `SIGNING_KEY_ENCRYPTION_KEY: must be set when NODE_ENV=production and JWT_SIGNING_ALGORITHM=${env.JWT_SIGNING_ALGORITHM} (it encrypts the private signing keys in the database)`,
    );
  }
  return {
    encryptionKey: null,
    previousEncryptionKeys: previous,
    encryptionKeyIsDevelopment: false,
  };
}

/** Asymmetric access-token signing keys (issue #22): algorithm, encryption at rest, rotation. */
export const signingKeysConfig = defineFeatureConfig({
  namespace: 'signingKeys',
  title: 'Signing keys',
  variables: SigningKeysVariables,
  secrets: ['SIGNING_KEY_ENCRYPTION_KEY', 'SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS'],
  settings: (env, context) => ({
    algorithm: env.JWT_SIGNING_ALGORITHM,
    ...resolveEncryptionKeys(env, context),
    activationDelaySeconds: env.SIGNING_KEY_ACTIVATION_DELAY_SECONDS,
    /** Null: no automatic rotation. */
    rotationIntervalSeconds:
      env.SIGNING_KEY_ROTATION_DAYS > 0 ? env.SIGNING_KEY_ROTATION_DAYS * 24 * 60 * 60 : null,
    /** Without a trailing slash: the issuer of key-signed tokens and of the discovery document. */
    publicUrl: resolvePublicUrl(env, context),
  }),
});

export type SigningKeysConfig = ReturnType<typeof signingKeysConfig.settings>;
