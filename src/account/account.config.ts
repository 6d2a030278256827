import { Transform } from 'class-transformer';
import { IsBoolean } from 'class-validator';
import { defineFeatureConfig, IntegerSetting, toBoolean } from '../config/feature-config.js';

export class AccountVariables {
  /** Login refuses accounts whose email address is not verified (403). */
  @Transform(toBoolean)
  @IsBoolean()
  REQUIRE_VERIFIED_EMAIL = false;

  @IntegerSetting(1, 24 * 30)
  EMAIL_VERIFICATION_TTL_HOURS = 24;

  @IntegerSetting(5, 24 * 60)
  PASSWORD_RESET_TTL_MINUTES = 30;
}

/** Verification, reset, email change and deletion, and the limits on the mail they send. */
export const accountConfig = defineFeatureConfig({
  namespace: 'account',
  title: 'Account lifecycle',
  variables: AccountVariables,
  rateLimits: {
    'forgot-password': {
      variable: 'RATE_LIMIT_FORGOT_PASSWORD',
      default: '10/1h',
      subject: { per: 'address' },
    },
    'forgot-password-account': {
      variable: 'RATE_LIMIT_FORGOT_PASSWORD_ACCOUNT',
      default: '3/1h',
      subject: { per: 'account' },
    },
    // Public, by email (issue #18): an unverified account may be unable to sign in.
    'verify-email-request': {
      variable: 'RATE_LIMIT_VERIFY_EMAIL_REQUEST',
      default: '10/1h',
      subject: { per: 'address' },
    },
    'verify-email-request-account': {
      variable: 'RATE_LIMIT_VERIFY_EMAIL_REQUEST_ACCOUNT',
      default: '3/1h',
      subject: { per: 'account' },
    },
    'verify-email-resend': {
      variable: 'RATE_LIMIT_VERIFY_EMAIL_RESEND',
      default: '3/1h',
      subject: { per: 'signed-in-user' },
    },
    // Each request mails two addresses, and a 409 says an address is taken.
    'change-email': {
      variable: 'RATE_LIMIT_CHANGE_EMAIL',
      default: '5/1h',
      subject: { per: 'signed-in-user' },
    },
    // The confirmation goes to an address anyone may name: per user alone, a few accounts
    // together could fill a stranger's inbox (issue #18).
    'change-email-target': {
      variable: 'RATE_LIMIT_CHANGE_EMAIL_TARGET',
      default: '3/1h',
      subject: { per: 'account' },
    },
  },
  settings: (env) => ({
    requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL,
    emailVerificationTtlSeconds: env.EMAIL_VERIFICATION_TTL_HOURS * 3600,
    passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_MINUTES * 60,
  }),
});

export type AccountConfig = ReturnType<typeof accountConfig.settings>;
