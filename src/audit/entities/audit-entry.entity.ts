import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Kinds of record an admin action can change. */
export const AUDIT_TARGET_TYPES = ['user', 'role', 'signing_key', 'webhook'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** The changed fields only, before or after; never a password hash or another secret. */
export type AuditFields = Record<string, unknown>;

/**
 * One administrative action (issue #19). Append-only: a trigger refuses UPDATE, DELETE and
 * TRUNCATE. No foreign keys on purpose: the record outlives the accounts it names (a deleted
 * user stays a target id), and an ON DELETE SET NULL would be an UPDATE the trigger refuses.
 */
@Entity({ name: 'audit_entries' })
@Index('IDX_audit_entries_actor_user_id_id', ['actorUserId', 'id'])
@Index('IDX_audit_entries_target_id_id', ['targetId', 'id'])
@Index('IDX_audit_entries_action_id', ['action', 'id'])
@Index('IDX_audit_entries_occurred_at', ['occurredAt'])
export class AuditEntry {
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    primaryKeyConstraintName: 'PK_audit_entries',
  })
  id: string;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  /** The administrator; null for the command line or the service itself (see actorLabel). */
  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId: string | null;

  /** Who acted, readable after the account is gone: a username, `cli` or `system`. */
  @Column({ name: 'actor_label', type: 'varchar', length: 64 })
  actorLabel: string;

  /** `<target>.<verb>`, e.g. `user.disabled`. */
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'target_type', type: 'varchar', length: 16 })
  targetType: AuditTargetType;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId: string | null;

  /** JSON: the changed fields only (AuditFields). */
  @Column({ type: 'jsonb', nullable: true })
  before: object | null;

  @Column({ type: 'jsonb', nullable: true })
  after: object | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Column({ name: 'ip_address', type: 'varchar', length: 45, nullable: true })
  ipAddress: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;
}
