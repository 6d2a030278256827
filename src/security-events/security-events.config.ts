import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class SecurityEventsVariables {
  /** Security events older than this are deleted. */
  @IntegerSetting(1, 3650)
  SECURITY_EVENTS_RETENTION_DAYS = 180;
}

/** The account history each user can read at /auth/events. */
export const securityEventsConfig = defineFeatureConfig({
  namespace: 'securityEvents',
  title: 'Security events',
  variables: SecurityEventsVariables,
  settings: (env) => ({ retentionDays: env.SECURITY_EVENTS_RETENTION_DAYS }),
});

export type SecurityEventsConfig = ReturnType<typeof securityEventsConfig.settings>;
