import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One event of the transactional outbox (issue #22): written in the transaction of the change
 * it describes. No foreign key to the user: `user.deleted` outlives the account.
 */
@Entity({ name: 'webhook_events' })
export class WebhookEvent {
  /** Sent as `webhook-id`: the same for every attempt, so receivers can de-duplicate. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_webhook_events' })
  id: string;

  /** `user.created`, `session.revoked`, ... (WEBHOOK_EVENT_TYPES). */
  @Column({ type: 'varchar', length: 64 })
  type: string;

  /** The user it concerns: deliveries of one user's events keep their order. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  /** The `data` member of the body: ids and what changed, never a secret. */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  /**
   * The body's `timestamp`. The outbox reads the clock just before the commit, under the
   * user's lock: a user's events' times follow their order. The default serves test events.
   */
  @Index('IDX_webhook_events_occurred_at')
  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;
}
