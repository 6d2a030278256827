import { IsString, MinLength } from 'class-validator';
import {
  defineFeatureConfig,
  IntegerSetting,
  OptionalText,
  type SettingsContext,
} from '../config/feature-config.js';
import {
  developmentKey,
  parseEncryptionKey,
  parseEncryptionKeys,
} from '../platform/crypto/encryption-keys.js';

export class MfaVariables {
  /** base64 of 32 random bytes (`openssl rand -base64 32`): encrypts TOTP secrets. */
  @OptionalText()
  MFA_ENCRYPTION_KEY?: string;

  /** Comma-separated earlier keys, still read (and re-encrypted with the current one at start). */
  @OptionalText()
  MFA_PREVIOUS_ENCRYPTION_KEYS?: string;

  /** The issuer authenticator apps show beside the account name. */
  @IsString()
  @MinLength(1)
  MFA_TOTP_ISSUER = 'Whazz Audio';

  /** How long "remember this device" (at POST /auth/mfa/verify) spares it the second step. */
  @IntegerSetting(1, 365)
  MFA_REMEMBER_DEVICE_DAYS = 30;
}

/**
 * Development and tests without a key: a fixed, published key, so secrets survive a restart.
 * Production never uses it: MfaService refuses to start while any user has a second factor
 * and no key is set.
 */
const DEVELOPMENT_KEY = developmentKey('whazz-audio-development-mfa-key');

function resolveKeys(env: MfaVariables, { environment, problems }: SettingsContext) {
  const current = env.MFA_ENCRYPTION_KEY
    ? parseEncryptionKey('MFA_ENCRYPTION_KEY', env.MFA_ENCRYPTION_KEY, problems)
    : undefined;
  const previous = parseEncryptionKeys(
    'MFA_PREVIOUS_ENCRYPTION_KEYS',
    env.MFA_PREVIOUS_ENCRYPTION_KEYS,
    problems,
  );
  if (previous.length > 0 && !env.MFA_ENCRYPTION_KEY) {
    problems.push('MFA_PREVIOUS_ENCRYPTION_KEYS: needs MFA_ENCRYPTION_KEY, the key to move to');
  }
  if (current) return { currentKey: current, previousKeys: previous };
  if (environment === 'production') return { currentKey: null, previousKeys: previous };
  return { currentKey: DEVELOPMENT_KEY, previousKeys: [] };
}

/** Second factors (issue #20): the key that encrypts TOTP secrets, and the verify limits. */
export const mfaConfig = defineFeatureConfig({
  namespace: 'mfa',
  title: 'Second factor (TOTP)',
  variables: MfaVariables,
  secrets: ['MFA_ENCRYPTION_KEY', 'MFA_PREVIOUS_ENCRYPTION_KEYS'],
  rateLimits: {
    'mfa-verify': {
      variable: 'RATE_LIMIT_MFA_VERIFY',
      default: '30/1m',
      subject: { per: 'address' },
    },
  },
  settings: (env, context) => {
    const { currentKey, previousKeys } = resolveKeys(env, context);
    return {
      /** Null in production without MFA_ENCRYPTION_KEY: no one can enrol then. */
      currentKey,
      previousKeys,
      totpIssuer: env.MFA_TOTP_ISSUER,
      rememberDeviceDays: env.MFA_REMEMBER_DEVICE_DAYS,
    };
  },
});

export type MfaConfig = ReturnType<typeof mfaConfig.settings>;
