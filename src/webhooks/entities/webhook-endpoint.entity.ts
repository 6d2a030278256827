import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Why an endpoint stopped receiving: an administrator, or a day of failures (issue #22). */
export type WebhookEndpointDisabledReason = 'administrator' | 'failing';

/** A receiver of signed events, managed through /admin/webhooks (issue #22). */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpoint {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_webhook_endpoints' })
  id: string;

  /** http(s) only; its host is checked against private networks at every delivery. */
  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  /** Event types delivered here; empty means every type. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  events: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ name: 'disabled_reason', type: 'varchar', length: 16, nullable: true })
  disabledReason: WebhookEndpointDisabledReason | null;

  /**
   * `whsec_` and base64 of 32 random bytes (Standard Webhooks), sealed (AES-256-GCM, the
   * endpoint id as additional data); never selected unless asked for, never answered again
   * after its creation or rotation.
   */
  @Column({ type: 'varchar', length: 255, select: false })
  secret: string;

  /** The key-encryption key that sealed `secret`; null: stored in clear before sealing. */
  @Column({ name: 'secret_key_id', type: 'varchar', length: 16, nullable: true, select: false })
  secretKeyId: string | null;

  /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
  @Column({ name: 'previous_secret', type: 'varchar', length: 255, nullable: true, select: false })
  previousSecret: string | null;

  @Column({
    name: 'previous_secret_key_id',
    type: 'varchar',
    length: 16,
    nullable: true,
    select: false,
  })
  previousSecretKeyId: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  /** The first failure since the last success: a day of them disables the endpoint. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
