import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AuditFields } from '../audit/entities/audit-entry.entity.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { User } from '../users/entities/user.entity.js';

/** One administrator action on roles, as the audit log (issue #19, src/audit/) records it. */
export interface AdminAuditEntry {
  /** Null for the command line, which acts as `actorLabel`. */
  actorId: string | null;
  actorLabel?: string;
  action:
    | 'role.created'
    | 'role.renamed'
    | 'role.permissions_changed'
    | 'role.deleted'
    | 'user.roles_changed';
  targetType: 'role' | 'user';
  targetId: string;
  before: unknown;
  after: unknown;
  reason?: string;
  client?: ClientInfo;
}

/**
 * Where the roles API hands its actions to the audit log, inside the change's own
 * transaction: `AuditService.record`. A change of a user's roles is also shown to that user
 * (`roles_changed` in their /auth/events).
 */
@Injectable()
export class AdminAuditSeam {
  constructor(private readonly audit: AuditService) {}

  async record(entry: AdminAuditEntry, manager: EntityManager): Promise<void> {
    await this.audit.record(
      {
        actor: { userId: entry.actorId, label: await this.labelOf(entry, manager) },
        action: entry.action,
        target: { type: entry.targetType, id: entry.targetId },
        before: fields(entry.before),
        after: fields(entry.after),
        reason: entry.reason,
        client: entry.client,
        userEvent: entry.action === 'user.roles_changed' ? 'roles_changed' : undefined,
      },
      manager,
    );
  }

  /** The administrator's username now, as the admin users API records it; else the label. */
  private async labelOf(entry: AdminAuditEntry, manager: EntityManager): Promise<string> {
    if (entry.actorLabel !== undefined) return entry.actorLabel;
    if (entry.actorId === null) return 'system';
    const user = await manager.findOne(User, {
      where: { id: entry.actorId },
      select: { username: true },
    });
    return user?.username ?? entry.actorId;
  }
}

/** A role or a set of roles as the audit entry keeps it (JSON). */
function fields(value: unknown): AuditFields | null {
  if (value === null || value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as AuditFields;
}
