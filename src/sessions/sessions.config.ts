import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class SessionsVariables {
  @IntegerSetting(1, 365)
  REFRESH_TOKEN_EXPIRE_DAYS = 30;

  /**
   * Issue #23: how long a rotated refresh token presented again, while its successor is
   * unused, gets that successor rather than ending the session; 0 turns the grace off.
   */
  @IntegerSetting(0, 60)
  REFRESH_REUSE_GRACE_SECONDS = 10;
}

/** Sessions and their rotating refresh tokens. */
export const sessionsConfig = defineFeatureConfig({
  namespace: 'sessions',
  title: 'Sessions',
  variables: SessionsVariables,
  settings: (env) => ({
    /** A session ends this long after its last refresh. */
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_EXPIRE_DAYS * 24 * 60 * 60,
    /** 0: a rotated token presented again always ends its session. */
    refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
  }),
});

export type SessionsConfig = ReturnType<typeof sessionsConfig.settings>;
