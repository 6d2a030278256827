import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class SessionsVariables {
  @IntegerSetting(1, 365)
  REFRESH_TOKEN_EXPIRE_DAYS = 30;
}

/** Sessions and their rotating refresh tokens. */
export const sessionsConfig = defineFeatureConfig({
  namespace: 'sessions',
  title: 'Sessions',
  variables: SessionsVariables,
  settings: (env) => ({
    /** A session ends this long after its last refresh. */
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_EXPIRE_DAYS * 24 * 60 * 60,
  }),
});

export type SessionsConfig = ReturnType<typeof sessionsConfig.settings>;
