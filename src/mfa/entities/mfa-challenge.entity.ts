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
 * A login that passed its password and waits for its second factor: the `mfa_token` (only its
 * hash), bound to the user and the client that logged in, with its count of code checks.
 */
@Entity({ name: 'mfa_challenges' })
@Index('IDX_mfa_challenges_user_id', ['userId'])
@Index('IDX_mfa_challenges_expires_at', ['expiresAt'])
export class MfaChallenge {
  @PrimaryColumn({
    name: 'token_hash',
    type: 'char',
    length: 64,
    primaryKeyConstraintName: 'PK_mfa_challenges',
  })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_challenges_user' })
  user?: User;

  /** The provider a social login came through (issue #21); null for a password login. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  provider: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45 })
  ipAddress: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  /** The login request's id, to tie the verify to it in the logs and events. */
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;

  /** Code checks spent; the verify that would make it pass the limit is refused unchecked. */
  @Column({ type: 'smallint', default: 0 })
  attempts: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
