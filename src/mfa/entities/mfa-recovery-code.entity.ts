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

/** A single-use recovery code, kept only as its SHA-256 (recovery-codes.ts says why that is enough). */
@Entity({ name: 'mfa_recovery_codes' })
@Index('IDX_mfa_recovery_codes_user_id', ['userId'])
export class MfaRecoveryCode {
  @PrimaryColumn({
    name: 'code_hash',
    type: 'char',
    length: 64,
    primaryKeyConstraintName: 'PK_mfa_recovery_codes',
  })
  codeHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_mfa_recovery_codes_user' })
  user?: User;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
