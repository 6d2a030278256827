import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class LoginBackoffVariables {
  /** Failed logins for one account before each further attempt waits; 0 turns backoff off. */
  @IntegerSetting(0, 1000)
  LOGIN_BACKOFF_AFTER_FAILURES = 5;

  /** The first wait; it doubles with each further failure. */
  @IntegerSetting(1, 24 * 60 * 60)
  LOGIN_BACKOFF_INITIAL_SECONDS = 30;

  /** The longest single wait (docs/security.md: what an attacker who keeps guessing can do). */
  @IntegerSetting(1, 24 * 60 * 60)
  LOGIN_BACKOFF_MAX_SECONDS = 900;
}

/** Slowing down password guessing against one account. */
export const loginBackoffConfig = defineFeatureConfig({
  namespace: 'loginBackoff',
  title: 'Login backoff',
  variables: LoginBackoffVariables,
  settings: (env, { problems }) => {
    if (env.LOGIN_BACKOFF_MAX_SECONDS < env.LOGIN_BACKOFF_INITIAL_SECONDS) {
      problems.push(
        'LOGIN_BACKOFF_MAX_SECONDS: must not be less than LOGIN_BACKOFF_INITIAL_SECONDS',
      );
    }
    return {
      /** 0: no backoff. */
      afterFailures: env.LOGIN_BACKOFF_AFTER_FAILURES,
      initialSeconds: env.LOGIN_BACKOFF_INITIAL_SECONDS,
      maxSeconds: env.LOGIN_BACKOFF_MAX_SECONDS,
    };
  },
});

export type LoginBackoffConfig = ReturnType<typeof loginBackoffConfig.settings>;
