import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const USER_EMAIL_UNIQUE = 'UQ_users_email';
export const USER_USERNAME_UNIQUE = 'UQ_users_username_normalized';
export const USER_USERNAME_SKELETON_UNIQUE = 'UQ_users_username_skeleton';

/**
 * The admin listing (issue #19): newest first by (created_at, id), and prefix search on the
 * stored lower-case email and username. The two pattern indexes (`varchar_pattern_ops`, so
 * `LIKE 'abc%'` uses them under any collation) are beyond what TypeORM can declare: created by
 * their migration, listed here so the schema check neither drops nor wants them.
 */
@Entity({ name: 'users' })
@Index('IDX_users_created_at_id', ['createdAt', 'id'])
@Index('IDX_users_email_pattern', { synchronize: false })
@Index('IDX_users_username_normalized_pattern', { synchronize: false })
export class User {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_users' })
  id: string;

  /** Stored trimmed and lower-cased, so equality is the uniqueness rule. */
  @Index(USER_EMAIL_UNIQUE, { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** As the user typed it; shown back to them. */
  @Column({ type: 'varchar', length: 32 })
  username: string;

  /** Lower-cased username: the unique key, so `Alice` and `alice` cannot both exist. */
  @Index(USER_USERNAME_UNIQUE, { unique: true })
  @Column({ name: 'username_normalized', type: 'varchar', length: 32 })
  usernameNormalized: string;

  /**
   * What the username looks like (see usernameSkeleton): unique, so `biII` cannot join `bill`.
   * Null only for look-alikes that already existed when the rule came (the oldest kept it).
   */
  @Index(USER_USERNAME_SKELETON_UNIQUE, { unique: true })
  @Column({ name: 'username_skeleton', type: 'varchar', length: 64, nullable: true })
  usernameSkeleton: string | null;

  /**
   * bcrypt hash (`$2a$`/`$2b$`); never selected unless asked for. Null for an account opened
   * through a provider (issue #21) until the reset flow sets one.
   */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false, nullable: true })
  passwordHash: string | null;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  /**
   * When an administrator's ban ends by itself (issue #19): set only while disabled. The
   * account is enabled at its next login attempt after this, or by the minute's sweep.
   */
  @Index('IDX_users_disabled_until', { where: '"disabled_until" IS NOT NULL' })
  @Column({ name: 'disabled_until', type: 'timestamptz', nullable: true })
  disabledUntil: Date | null;

  /** True once a link mailed to the current `email` was followed. */
  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Also bumped by a trigger on any UPDATE, even in plain SQL: caches poll it. */
  @Index('IDX_users_updated_at')
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
