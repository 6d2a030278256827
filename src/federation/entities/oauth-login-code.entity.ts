import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * What a provider proved about the person, waiting for the app to exchange the one-time code
 * it was given (issue #21): found by the code's SHA-256, used once, short-lived. The linking
 * rules run at the exchange, so that a refusal reaches the app as problem details.
 */
@Entity({ name: 'oauth_login_codes' })
@Index('IDX_oauth_login_codes_expires_at', ['expiresAt'])
export class OAuthLoginCode {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_oauth_login_codes' })
  id: string;

  @Index('UQ_oauth_login_codes_code_hash', { unique: true })
  @Column({ name: 'code_hash', type: 'char', length: 64 })
  codeHash: string;

  @Column({ type: 'varchar', length: 20 })
  provider: string;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  /** The provider's login or name, for the username of a new account. */
  @Column({ name: 'name_hint', type: 'varchar', length: 255, nullable: true })
  nameHint: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
