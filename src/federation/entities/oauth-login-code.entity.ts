import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/**
 * What a provider proved about the person, waiting for the app to exchange the one-time code
 * it was given (issue #21): found by the code's SHA-256, used once, short-lived. The linking
 * rules run at the exchange, so that a refusal reaches the app as problem details. A link code
 * (`link_user_id` set) is completed only by that user's bearer token, never at the login's
 * exchange.
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

  /** The app's PKCE S256 challenge, when it sent one: the exchange needs its verifier. */
  @Column({ name: 'code_challenge', type: 'varchar', length: 43, nullable: true })
  codeChallenge: string | null;

  /** Set for a link code: the signed-in user who started linking. */
  @Column({ name: 'link_user_id', type: 'uuid', nullable: true })
  linkUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'link_user_id', foreignKeyConstraintName: 'FK_oauth_login_codes_link_user' })
  linkUser?: User;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
