import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ClientInfo } from '../common/http/client-address.js';

/** One administrator action, as the audit log (issue #19, src/audit/) will record it. */
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
 * The seam where the roles API hands its actions to the audit log, inside the change's own
 * transaction. The audit module (src/audit/, built apart) replaces this body with
 * `AuditService.record(entry, manager)` when the branches meet; until then it only logs.
 */
@Injectable()
export class AdminAuditSeam {
  private readonly logger = new Logger('AdminAudit');

  record(entry: AdminAuditEntry, manager: EntityManager): Promise<void> {
    void manager;
    this.logger.log({
      event: 'admin_action',
      action: entry.action,
      actor_id: entry.actorId,
      target: `${entry.targetType}:${entry.targetId}`,
    });
    return Promise.resolve();
  }
}
