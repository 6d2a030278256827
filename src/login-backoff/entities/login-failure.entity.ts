import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Recent failed logins for one login name, existing account or not (so the answer never
 * tells which accounts exist), or for one known device (issue #20). Keyed by a hash: people
 * type passwords into the name field.
 */
@Entity({ name: 'login_failures' })
export class LoginFailure {
  /** SHA-256 (hex) of the folded username or email that was tried, or of the device. */
  @PrimaryColumn({
    name: 'login_key',
    type: 'char',
    length: 64,
    primaryKeyConstraintName: 'PK_login_failures',
  })
  loginKey: string;

  @Column({ type: 'integer' })
  failures: number;

  @Column({ name: 'last_failed_at', type: 'timestamptz' })
  lastFailedAt: Date;

  /** Attempts before this instant are refused without checking the password. */
  @Column({ name: 'blocked_until', type: 'timestamptz', nullable: true })
  blockedUntil: Date | null;
}
