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
 * A sign-in sent to a provider and not yet back (issue #21): found by the SHA-256 of its
 * `state`, used once, bound to the app URL it returns to and, for linking, to the user.
 */
@Entity({ name: 'oauth_states' })
@Index('IDX_oauth_states_expires_at', ['expiresAt'])
export class OAuthState {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_oauth_states' })
  id: string;

  @Index('UQ_oauth_states_state_hash', { unique: true })
  @Column({ name: 'state_hash', type: 'char', length: 64 })
  stateHash: string;

  @Column({ type: 'varchar', length: 20 })
  provider: string;

  /** One of OAUTH_REDIRECT_URIS, exactly as configured. */
  @Column({ name: 'redirect_uri', type: 'varchar', length: 2048 })
  redirectUri: string;

  /** The app's own `state`, handed back to it unchanged. */
  @Column({ name: 'app_state', type: 'varchar', length: 512, nullable: true })
  appState: string | null;

  /** PKCE (RFC 7636): sent to the token endpoint, its S256 hash went to the provider. */
  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier: string;

  /**
   * The app's own PKCE S256 challenge (RFC 8252 §8.1), handed on to the login or link code:
   * only the app that started the sign-in can exchange what comes back to a custom scheme.
   */
  @Column({ name: 'app_code_challenge', type: 'varchar', length: 43, nullable: true })
  appCodeChallenge: string | null;

  /** OpenID Connect only: the id_token must carry it back. */
  @Column({ type: 'varchar', length: 128, nullable: true })
  nonce: string | null;

  /** Set when a signed-in user started it to link a provider to their account. */
  @Column({ name: 'link_user_id', type: 'uuid', nullable: true })
  linkUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'link_user_id', foreignKeyConstraintName: 'FK_oauth_states_link_user' })
  linkUser?: User;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
