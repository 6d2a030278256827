import { IsString, MinLength } from 'class-validator';
import {
  defineFeatureConfig,
  IntegerSetting,
  OptionalText,
  type SettingsContext,
} from '../config/feature-config.js';
import { ROLE_NAME_PATTERN } from '../authorization/permissions.js';
import {
  developmentKey,
  parseEncryptionKey,
  parseEncryptionKeys,
} from '../platform/crypto/encryption-keys.js';

export class MfaVariables {
  /** base64 of 32 random bytes (`openssl rand -base64 32`): encrypts TOTP secrets. */
  @OptionalText()
  MFA_ENCRYPTION_KEY?: string;

  /** Comma-separated other keys, still read; `npm run mfa -- reseal` moves secrets off them. */
  @OptionalText()
  MFA_PREVIOUS_ENCRYPTION_KEYS?: string;

  /** The issuer authenticator apps show beside the account name. */
  @IsString()
  @MinLength(1)
  MFA_TOTP_ISSUER = 'Whazz Audio';

  /** How long "remember this device" (at POST /auth/mfa/verify) spares it the second step. */
  @IntegerSetting(1, 365)
  MFA_REMEMBER_DEVICE_DAYS = 30;

  /** Comma-separated roles whose holders must enrol a second factor before anything else. */
  @OptionalText()
  MFA_REQUIRED_ROLES?: string;
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

/**
 * The role names of MFA_REQUIRED_ROLES, each in the form roles take. Whether such a role
 * exists is not known before the database is: a name no role has simply matches nobody.
 */
function parseRequiredRoles(text: string | undefined, problems: string[]): string[] {
  const names = (text ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names.filter((name) => !ROLE_NAME_PATTERN.test(name))) {
    problems.push(
      `MFA_REQUIRED_ROLES: "${name}" is not a role name (2 to 40 of a-z, 0-9, _ and -, a letter first)`,
    );
  }
  return [...new Set(names)];
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
    // Each wrong code also counts on the user's own backoff; this caps a burst from one place.
    'mfa-confirm': {
      variable: 'RATE_LIMIT_MFA_CONFIRM',
      default: '10/1m',
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
      /** Holders of these must enrol: until then a login opens a session limited to enrolment. */
      requiredRoles: parseRequiredRoles(env.MFA_REQUIRED_ROLES, context.problems),
    };
  },
});

export type MfaConfig = ReturnType<typeof mfaConfig.settings>;
