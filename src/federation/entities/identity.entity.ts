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

export const IDENTITY_PROVIDER_SUBJECT_UNIQUE = 'UQ_identities_provider_subject';

/** An account at a provider that signs a user in here (issue #21). */
@Entity({ name: 'identities' })
@Index(IDENTITY_PROVIDER_SUBJECT_UNIQUE, ['provider', 'subject'], { unique: true })
export class Identity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_identities' })
  id: string;

  /** The configured provider name (`google`, `github`, ...). */
  @Column({ type: 'varchar', length: 20 })
  provider: string;

  /** The provider's stable id for the account: `sub`, or GitHub's numeric user id. */
  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** The address the provider gave at the last sign-in, if any; never used to look users up. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  /** Whether the provider asserted that it verified `email`. */
  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified: boolean;

  @Index('IDX_identities_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_identities_user' })
  user?: User;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;
}
