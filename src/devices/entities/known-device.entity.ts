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
 * A client a login handed a device token to (issue #20). Its sessions point at it; presenting
 * its token at login spares it the backoff strangers cause, and (once the user opts in at a
 * second-factor check) the second factor until `rememberedUntil`.
 */
@Entity({ name: 'known_devices' })
@Index('IDX_known_devices_user_id', ['userId'])
@Index('IDX_known_devices_expires_at', ['expiresAt'])
export class KnownDevice {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_known_devices' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_known_devices_user' })
  user?: User;

  /** SHA-256 of the device token, hex. The token itself is never stored. */
  @Index('UQ_known_devices_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64, select: false })
  tokenHash: string;

  /** The User-Agent of the last login from this device. */
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  /** The address of the last login from this device. */
  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt: Date;

  /** Slides forward with every login that presents the token. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** "Remember this device": until then a login from it skips the second factor. */
  @Column({ name: 'remembered_until', type: 'timestamptz', nullable: true })
  rememberedUntil: Date | null;
}
