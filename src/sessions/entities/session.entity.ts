import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { KnownDevice } from '../../devices/entities/known-device.entity.js';
import { User } from '../../users/entities/user.entity.js';

export const SESSION_REVOCATION_REASONS = [
  'logout',
  'logout_all',
  'revoked_by_user',
  'refresh_token_reuse',
  'password_changed',
  'password_reset',
  'account_deleted',
  // Issue #19: an administrator ended them, or disabled the account.
  'revoked_by_administrator',
  'account_disabled',
  // Issue #20: turning the second factor off signs every other device out.
  'mfa_disabled',
] as const;
export type SessionRevocationReason = (typeof SESSION_REVOCATION_REASONS)[number];

/**
 * RFC 8176 authentication method references: `pwd`, and `otp` once a second factor passed;
 * and `fed` for a sign-in a provider vouched for (issue #21; the value
 * Microsoft's identity platform uses, RFC 8176 registering none for it).
 */
export type AuthenticationMethod = 'pwd' | 'otp' | 'fed';

/** One signed-in device: the family of refresh tokens that rotate from one login. */
@Entity({ name: 'sessions' })
@Index('IDX_sessions_user_id', ['userId'])
@Index('IDX_sessions_revoked_at', ['revokedAt'], { where: '"revoked_at" IS NOT NULL' })
@Index('IDX_sessions_impersonator_id', ['impersonatorId'], {
  where: '"impersonator_id" IS NOT NULL',
})
@Index('IDX_sessions_device_id', ['deviceId'], { where: '"device_id" IS NOT NULL' })
export class Session {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_sessions' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user' })
  user?: User;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt: Date;

  /** Slides forward on every refresh. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /**
   * Opened by an administrator acting as the user (issue #19): its expiry is fixed at the start
   * and never slides. Kept apart from `impersonatorId`, which empties if that account goes.
   */
  @Column({ type: 'boolean', default: false })
  impersonated: boolean;

  /** The administrator acting as the user; null for the user's own sessions. */
  @Column({ name: 'impersonator_id', type: 'uuid', nullable: true })
  impersonatorId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'impersonator_id', foreignKeyConstraintName: 'FK_sessions_impersonator' })
  impersonator?: User | null;

  /**
   * The known device whose login started it (issue #20): revoking the device ends it. Null for
   * sessions from before devices, impersonated ones, and once the device is forgotten.
   */
  @Column({ name: 'device_id', type: 'uuid', nullable: true })
  deviceId: string | null;

  @ManyToOne(() => KnownDevice, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'device_id', foreignKeyConstraintName: 'FK_sessions_device' })
  device?: KnownDevice | null;

  /** How the login that opened it authenticated (RFC 8176 `amr`); kept across refreshes. */
  @Column({
    name: 'auth_methods',
    type: 'varchar',
    length: 16,
    array: true,
    default: () => "'{pwd}'",
  })
  authMethods: AuthenticationMethod[];

  /** When that login authenticated (OIDC `auth_time`); kept across refreshes. */
  @Column({ name: 'authenticated_at', type: 'timestamptz', default: () => 'now()' })
  authenticatedAt: Date;

  /**
   * Opened by a login whose role requires a second factor the user had not enrolled
   * (MFA_REQUIRED_ROLES, issue #20): its tokens reach only the enrolment routes. Confirming
   * TOTP on it clears this; nothing else does.
   */
  @Column({ name: 'mfa_enrolment_required', type: 'boolean', default: false })
  mfaEnrolmentRequired: boolean;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason: SessionRevocationReason | null;

  isLive(now = new Date()): boolean {
    return this.revokedAt === null && this.expiresAt > now;
  }
}
