import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../common/http/client-address.js';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import {
  AuthorizationService,
  type FeedTransaction,
} from '../authorization/authorization.service.js';
import { RolesService, type RoleChange, type RoleView } from '../authorization/roles.service.js';
import { AdminAuditSeam, type AdminAuditEntry } from './admin-audit.seam.js';

/** Who asked, from where: every admin action is recorded with it. */
export interface AdminActor {
  userId: string | null;
  label?: string;
  client?: ClientInfo;
}

/**
 * The roles API's actions: each runs the rule (RolesService, AuthorizationService) and its
 * audit record in one transaction, so a change is never left unrecorded, nor a record of a
 * change that rolled back.
 */
@Injectable()
export class AdminRolesService {
  constructor(
    private readonly feed: ChangeFeedService,
    private readonly roles: RolesService,
    private readonly authorization: AuthorizationService,
    private readonly audit: AdminAuditSeam,
  ) {}

  list(): Promise<RoleView[]> {
    return this.roles.list();
  }

  create(actor: AdminActor, name: string, permissions: string[]): Promise<RoleView> {
    return this.recorded(actor, 'role.created', name, (within) =>
      this.roles.create(name, permissions, within),
    );
  }

  rename(actor: AdminActor, name: string, newName: string): Promise<RoleView> {
    return this.recorded(actor, 'role.renamed', name, (within) =>
      this.roles.rename(name, newName, within),
    );
  }

  setPermissions(actor: AdminActor, name: string, permissions: string[]): Promise<RoleView> {
    return this.recorded(actor, 'role.permissions_changed', name, (within) =>
      this.roles.setPermissions(name, permissions, within),
    );
  }

  async delete(actor: AdminActor, name: string, reassignTo?: string): Promise<void> {
    await this.recorded(actor, 'role.deleted', name, (within) =>
      this.roles.delete(name, reassignTo, within),
    );
  }

  /** Subject to the last-administrator rule (409). */
  setUserRoles(actor: AdminActor, userId: string, roleNames: string[]): Promise<string[]> {
    return this.changeUserRoles(actor, userId, () => roleNames);
  }

  /**
   * `change` maps the roles held (read in the same transaction) to the roles to hold. An
   * account (not the command line) must hold every permission the target holds, before and
   * after: no one demotes an administrator, or grants more than they hold (403).
   */
  changeUserRoles(
    actor: AdminActor,
    userId: string,
    change: (held: string[]) => string[],
  ): Promise<string[]> {
    return this.feed.transaction(async (manager, announce) => {
      // Before `held` is read: a concurrent change would make `change(held)` stale.
      await this.authorization.lockRolesOf(userId, manager);
      const grants = actor.userId && (await this.authorization.grantsWithin(actor.userId, manager));
      if (grants) await this.authorization.assertCovers(grants, userId, manager);
      const before = await this.authorization.rolesOf(userId, manager);
      const after = await this.authorization.setUserRoles(userId, change(before), {
        manager,
        announce,
      });
      if (grants) await this.authorization.assertCovers(grants, userId, manager);
      await this.audit.record(
        {
          ...entryBy(actor),
          action: 'user.roles_changed',
          targetType: 'user',
          targetId: userId,
          before: { roles: before },
          after: { roles: after },
        },
        manager,
      );
      return after;
    });
  }

  private recorded(
    actor: AdminActor,
    action: AdminAuditEntry['action'],
    roleName: string,
    change: (within: FeedTransaction) => Promise<RoleChange>,
  ): Promise<RoleView> {
    return this.feed.transaction(async (manager, announce) => {
      const { before, after } = await change({ manager, announce });
      await this.audit.record(
        { ...entryBy(actor), action, targetType: 'role', targetId: roleName, before, after },
        manager,
      );
      return (after ?? before)!;
    });
  }
}

function entryBy(actor: AdminActor): Pick<AdminAuditEntry, 'actorId' | 'actorLabel' | 'client'> {
  return { actorId: actor.userId, actorLabel: actor.label, client: actor.client };
}
