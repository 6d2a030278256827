import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

export const SECURITY_EVENT_TYPES = [
  'signup',
  'login_succeeded',
  'login_failed',
  'login_backoff',
  'login_rate_limited',
  'refresh_token_reused',
  'logout',
  'logout_all',
  'session_revoked',
  'email_verified',
  'email_change_requested',
  'email_changed',
  'password_changed',
  'password_reset_requested',
  'password_reset',
  // Administrators' actions on the account (issue #19); who acted shows only when configured.
  'account_created_by_administrator',
  'account_updated_by_administrator',
  'disabled_by_administrator',
  'enabled_by_administrator',
  // A ban with an end, enabled again by the service itself (issue #19).
  'ban_ended',
  'sessions_ended_by_administrator',
  'password_reset_sent_by_administrator',
  'roles_changed',
  // An administrator opened a support session as the user; it is in their sessions list too.
  'impersonated_by_administrator',
  // Known devices (issue #20): one forgotten by its owner, one remembered past the second factor.
  'device_revoked',
  'device_remembered',
  // Social login (issue #21): `reason` names the provider.
  'oauth_login',
  'identity_linked',
  'identity_unlinked',
  // Second factors (issue #20).
  'mfa_enabled',
  'mfa_disabled',
  'mfa_failed',
  'recovery_code_used',
  'recovery_codes_regenerated',
  // An administrator removed the account's second factors (issue #20).
  'mfa_reset_by_admin',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/**
 * Something that happened to an account's security, kept for its owner and the operators.
 * Append-only: a trigger refuses UPDATE; rows leave only by retention or with their user.
 */
@Entity({ name: 'security_events' })
@Index('IDX_security_events_user_id_id', ['userId', 'id'])
@Index('IDX_security_events_created_at', ['createdAt'])
export class SecurityEvent {
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    primaryKeyConstraintName: 'PK_security_events',
  })
  id: string;

  @Column({ type: 'varchar', length: 40 })
  type: SecurityEventType;

  /** Null when no account matched (a failed login for an unknown name). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_security_events_user' })
  user?: User;

  /** Why, for failures: `wrong_password`, `unknown_account`, `account_disabled`. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  reason: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  /**
   * The administrator who acted on the account (their username then), kept only while
   * ADMIN_IDENTITY_VISIBLE_TO_USERS is set; the audit log has it either way.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  administrator: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
