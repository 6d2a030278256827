import { Transform } from 'class-transformer';
import { IsBoolean } from 'class-validator';
import { defineFeatureConfig, toBoolean } from '../config/feature-config.js';

export class AuditVariables {
  /**
   * An account's own `/auth/events` names the administrator who acted on it (their username,
   * address and browser). Off, the user sees what was done, not by whom. Applies to events
   * recorded while it is set; the audit log keeps the administrator either way.
   */
  @Transform(toBoolean)
  @IsBoolean()
  ADMIN_IDENTITY_VISIBLE_TO_USERS = false;
}

/** The audit log of administrative actions and what their targets see of them (issue #19). */
export const auditConfig = defineFeatureConfig({
  namespace: 'audit',
  title: 'Audit',
  variables: AuditVariables,
  settings: (env) => ({ adminIdentityVisibleToUsers: env.ADMIN_IDENTITY_VISIBLE_TO_USERS }),
});

export type AuditConfig = ReturnType<typeof auditConfig.settings>;
