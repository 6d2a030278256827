import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { AuditEntry } from '../entities/audit-entry.entity.js';

const CHANGED_FIELDS = {
  type: 'object',
  nullable: true,
  additionalProperties: true,
  description: 'The changed fields only; never a password hash or another secret',
} as const;

/** One administrative action. */
export class AuditEntryResponseDto {
  id: string;

  @ApiTimestamp()
  occurred_at: string;

  /** The administrator's user id; null for the command line or the service itself. */
  actor_user_id: string | null;

  /** The administrator's username at the time, or `cli` / `system`. @example "alice" */
  actor: string;

  /** @example "user.disabled" */
  action: string;

  /** @example "user" */
  target_type: string;

  target_id: string | null;

  @ApiProperty(CHANGED_FIELDS)
  before: object | null;

  @ApiProperty(CHANGED_FIELDS)
  after: object | null;

  /** The reason the administrator gave. */
  reason: string | null;

  /** The administrator's client address. */
  ip_address: string | null;

  /** The X-Request-Id of the request that made the change. */
  request_id: string | null;

  static from(entry: AuditEntry): AuditEntryResponseDto {
    return {
      id: entry.id,
      occurred_at: isoTimestamp(entry.occurredAt),
      actor_user_id: entry.actorUserId,
      actor: entry.actorLabel,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      before: entry.before,
      after: entry.after,
      reason: entry.reason,
      ip_address: entry.ipAddress,
      request_id: entry.requestId,
    };
  }
}

/** A page of the audit log, newest first. */
export class AuditPageResponseDto {
  entries: AuditEntryResponseDto[];

  /** Pass as `cursor` for the next, older page; null when there is none. */
  next_cursor: string | null;
}
