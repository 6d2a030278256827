import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const USER_EMAIL_UNIQUE = 'UQ_users_email';
export const USER_USERNAME_UNIQUE = 'UQ_users_username_normalized';
export const USER_USERNAME_SKELETON_UNIQUE = 'UQ_users_username_skeleton';

@Entity({ name: 'users' })
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

  /** bcrypt hash (`$2a$`/`$2b$`); never selected unless asked for. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

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
