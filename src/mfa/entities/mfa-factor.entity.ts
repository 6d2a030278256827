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

export const MFA_METHODS = ['totp'] as const;
export type MfaMethod = (typeof MFA_METHODS)[number];

/**
 * One second factor of a user: a TOTP secret, encrypted (AES-256-GCM, see src/platform/crypto/secret-cipher.ts).
 * Inactive until `confirmedAt`: a setup never confirmed guards nothing.
 */
@Entity({ name: 'mfa_factors' })
@Index('UQ_mfa_factors_user_method', ['userId', 'method'], { unique: true })
export class MfaFactor {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_mfa_factors' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_factors_user' })
  user?: User;

  @Column({ type: 'varchar', length: 16 })
  method: MfaMethod;

  /** `<iv>.<tag>.<ciphertext>`, base64url; never selected unless asked for. */
  @Column({ name: 'secret_ciphertext', type: 'text', select: false })
  secretCiphertext: string;

  /** Which configured key encrypted it, so the key can rotate (docs/security.md). */
  @Column({ name: 'secret_key_id', type: 'varchar', length: 16 })
  secretKeyId: string;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt: Date | null;

  /** The TOTP time step of the last code accepted: that code and older ones never work again. */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
