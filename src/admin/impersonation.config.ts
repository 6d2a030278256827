import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class ImpersonationVariables {
  /**
   * How long a support session opened by `POST /admin/users/{id}/impersonate` lasts from its
   * start; refreshing never extends it (issue #19: at most one hour).
   */
  @IntegerSetting(1, 60)
  IMPERSONATION_MAX_MINUTES = 60;
}

/** Administrators acting as a user for support (issue #19). */
export const impersonationConfig = defineFeatureConfig({
  namespace: 'impersonation',
  title: 'Impersonation',
  variables: ImpersonationVariables,
  settings: (env) => ({ maxSeconds: env.IMPERSONATION_MAX_MINUTES * 60 }),
});

export type ImpersonationConfig = ReturnType<typeof impersonationConfig.settings>;
