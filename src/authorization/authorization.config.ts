import { defineFeatureConfig, OptionalText } from '../config/feature-config.js';

export class AuthorizationVariables {
  /**
   * While no active account holds `admin`, the verified account with this email becomes an
   * administrator: at start-up, or when it verifies its address (issue #19).
   */
  @OptionalText()
  BOOTSTRAP_ADMIN_EMAIL?: string;
}

/** Roles and permissions; how the first administrator is made. */
export const authorizationConfig = defineFeatureConfig({
  namespace: 'authorization',
  title: 'Authorization',
  variables: AuthorizationVariables,
  settings: (env) => ({
    bootstrapAdminEmail: env.BOOTSTRAP_ADMIN_EMAIL?.trim(),
  }),
});

export type AuthorizationConfig = ReturnType<typeof authorizationConfig.settings>;
