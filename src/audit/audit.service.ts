import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { ClientInfo } from '../common/http/client-address.js';
import { SignedCursorCodec } from '../common/signed-cursor.js';
import type { Configuration } from '../config/configuration.js';
import type { SecurityEventType } from '../security-events/entities/security-event.entity.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import {
  AuditEntry,
  type AuditFields,
  type AuditTargetType,
} from './entities/audit-entry.entity.js';

/** Who acted: an administrator (by id, and their username now), or `cli` / `system`. */
export interface AuditActor {
  userId: string | null;
  label: string;
}

export interface AuditRecord {
  actor: AuditActor;
  action: string;
  target: { type: AuditTargetType; id: string | null };
  before?: AuditFields | null;
  after?: AuditFields | null;
  reason?: string | null;
  /** The administrator's request; absent for the command line and the service itself. */
  client?: ClientInfo | null;
  /** The event the affected user sees in their own /auth/events (a user target only). */
  userEvent?: SecurityEventType;
}

export interface AuditFilters {
  actorUserId?: string;
  targetId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

interface AuditPosition {
  id: string;
}
const isAuditPosition = (value: unknown): value is AuditPosition =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as AuditPosition).id === 'string' &&
  /^[1-9][0-9]{0,18}$/.test((value as AuditPosition).id);

/** The append-only record of administrative actions (issue #19). */
@Injectable()
export class AuditService {
  private readonly identityVisible: boolean;
  private readonly cursors: SignedCursorCodec<AuditPosition>;

  constructor(
    @InjectRepository(AuditEntry) private readonly entries: Repository<AuditEntry>,
    private readonly events: SecurityEventsService,
    config: ConfigService<Configuration, true>,
  ) {
    this.identityVisible = config.get('audit', { infer: true }).adminIdentityVisibleToUsers;
    const secret = config.get('tokens', { infer: true }).jwtSecret;
    this.cursors = new SignedCursorCodec(secret, 'audit', isAuditPosition);
  }

  /**
   * Written in the caller's transaction, with the change it describes: an action is never
   * made without its record, nor recorded without being made. The user it concerns is told
   * in the same transaction.
   */
  async record(entry: AuditRecord, manager: EntityManager): Promise<void> {
    await manager.insert(AuditEntry, {
      actorUserId: entry.actor.userId,
      actorLabel: entry.actor.label.slice(0, 64),
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id,
      before: entry.before ?? null,
      after: entry.after ?? null,
      reason: entry.reason ?? null,
      ipAddress: entry.client?.ipAddress ?? null,
      requestId: entry.client?.requestId ?? null,
    });
    if (entry.userEvent && entry.target.type === 'user' && entry.target.id) {
      await this.events.record(this.userEvent(entry, entry.userEvent, entry.target.id), manager);
    }
  }

  /** Newest first; filters combine with AND. */
  async list(filters: AuditFilters, limit: number, cursor?: string): Promise<AuditPage> {
    const query = this.entries.createQueryBuilder('entry');
    if (filters.actorUserId)
      query.andWhere('entry.actorUserId = :actor', { actor: filters.actorUserId });
    if (filters.targetId) query.andWhere('entry.targetId = :target', { target: filters.targetId });
    if (filters.action) query.andWhere('entry.action = :action', { action: filters.action });
    if (filters.from) query.andWhere('entry.occurredAt >= :from', { from: filters.from });
    if (filters.to) query.andWhere('entry.occurredAt < :to', { to: filters.to });
    if (cursor !== undefined) {
      query.andWhere('entry.id < :after', { after: this.cursors.decode(cursor).id });
    }
    const rows = await query
      .orderBy('entry.id', 'DESC')
      .take(limit + 1)
      .getMany();
    const entries = rows.slice(0, limit);
    const last = entries.at(-1);
    return {
      entries,
      nextCursor: rows.length > limit && last ? this.cursors.encode({ id: last.id }) : null,
    };
  }

  /** Without the administrator's identity (name, address, browser) unless configured. */
  private userEvent(entry: AuditRecord, type: SecurityEventType, userId: string) {
    const requestId = entry.client?.requestId ?? null;
    if (!this.identityVisible) return { type, userId, client: { requestId } };
    return {
      type,
      userId,
      client: entry.client ?? { requestId },
      administrator: entry.actor.label,
    };
  }
}
