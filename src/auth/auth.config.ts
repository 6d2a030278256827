import { defineFeatureConfig } from '../config/feature-config.js';

/** Signup, login and refresh: nothing to set but the limits on their routes. */
export const authConfig = defineFeatureConfig({
  namespace: 'auth',
  title: 'Signup, login and refresh',
  rateLimits: {
    login: { variable: 'RATE_LIMIT_LOGIN', default: '30/1m', subject: { per: 'address' } },
    // From any address: one account's guesses are counted wherever they come from.
    'login-account': {
      variable: 'RATE_LIMIT_LOGIN_ACCOUNT',
      default: '10/1m',
      subject: { per: 'account' },
    },
    signup: { variable: 'RATE_LIMIT_SIGNUP', default: '20/1h', subject: { per: 'address' } },
    refresh: { variable: 'RATE_LIMIT_REFRESH', default: '60/1m', subject: { per: 'address' } },
  },
  settings: () => ({}),
});
