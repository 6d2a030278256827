import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type EntityManager, type Repository } from 'typeorm';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service.js';
import { EVERYONE, ROLES_TOPIC, type FeedTransaction } from './authorization.service.js';
import {
  BuiltInRoleError,
  RoleInUseError,
  RoleNameTakenError,
  RoleNotFoundError,
  UnknownPermissionError,
  UnknownRoleError,
} from './authorization.errors.js';
import { Role } from './entities/role.entity.js';
import { RolePermission } from './entities/role-permission.entity.js';
import { UserRole } from './entities/user-role.entity.js';
import { ADMIN_ROLE, isPermission, PERMISSIONS, type Permission } from './permissions.js';

/** A role as the admin API shows it. */
export interface RoleView {
  name: string;
  builtIn: boolean;
  permissions: Permission[];
  /** How many accounts hold it. */
  holders: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface RoleHolder {
  role: string;
  username: string;
  email: string;
  isActive: boolean;
}

/** What a change did, for its audit record: the role before and after (null when absent). */
export interface RoleChange {
  before: RoleView | null;
  after: RoleView | null;
}

/**
 * Creating, renaming, re-permissioning and deleting roles (issue #19). Every change announces
 * EVERYONE on the roles topic: any holder's grants may have moved, and roles change rarely.
 * Each method runs in the caller's transaction when given one (for its audit record).
 */
@Injectable()
export class RolesService {
  constructor(
    @InjectRepository(Role) private readonly roles: Repository<Role>,
    private readonly feed: ChangeFeedService,
    private readonly outbox: WebhookOutbox,
  ) {}

  async list(): Promise<RoleView[]> {
    const roles = await this.roles.find({ order: { name: 'ASC' } });
    return Promise.all(roles.map((role) => this.view(this.roles.manager, role)));
  }

  /** Who holds which role, by role then username: for `npm run admin -- list`. */
  holders(): Promise<RoleHolder[]> {
    return this.roles.query<RoleHolder[]>(
      `SELECT r.name AS role, u.username, u.email, u.is_active AS "isActive"
       FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN users u ON u.id = ur.user_id
       ORDER BY r.name, u.username_normalized`,
    );
  }

  async get(name: string): Promise<RoleView> {
    return this.view(this.roles.manager, await this.find(this.roles.manager, name));
  }

  create(name: string, permissions: readonly string[], within?: FeedTransaction) {
    return this.inTransaction(within, async ({ manager, announce }): Promise<RoleChange> => {
      const granted = knownPermissions(permissions);
      const role = manager.create(Role, { name, builtIn: false });
      await insertUniquely(manager, role);
      await this.grant(manager, role.id, granted);
      await announce(ROLES_TOPIC, [EVERYONE]);
      return { before: null, after: await this.view(manager, role) };
    });
  }

  rename(name: string, newName: string, within?: FeedTransaction) {
    return this.inTransaction(within, async ({ manager, announce }): Promise<RoleChange> => {
      const role = await this.find(manager, name, true);
      if (role.builtIn) throw new BuiltInRoleError(name, 'renamed');
      const before = await this.view(manager, role);
      role.name = newName;
      await saveUniquely(manager, role);
      const holders = await manager.findBy(UserRole, { roleId: role.id });
      this.recordRolesOf(
        manager,
        holders.map(({ userId }) => userId),
      );
      await announce(ROLES_TOPIC, [EVERYONE]);
      return { before, after: await this.view(manager, role) };
    });
  }

  /** `admin` holds every permission in code, whatever its rows say: it cannot be changed. */
  setPermissions(name: string, permissions: readonly string[], within?: FeedTransaction) {
    return this.inTransaction(within, async ({ manager, announce }): Promise<RoleChange> => {
      const granted = knownPermissions(permissions);
      const role = await this.find(manager, name, true);
      if (role.name === ADMIN_ROLE) throw new BuiltInRoleError(name, 'given other permissions');
      const before = await this.view(manager, role);
      await manager.delete(RolePermission, { roleId: role.id });
      await this.grant(manager, role.id, granted);
      // updated_at moves, so lists show when the permissions last changed.
      await manager.update(Role, { id: role.id }, { updatedAt: new Date() });
      await announce(ROLES_TOPIC, [EVERYONE]);
      return { before, after: await this.view(manager, await this.find(manager, name)) };
    });
  }

  /**
   * Refused while anyone holds the role, unless `reassignTo` names the role they get instead.
   * The role row is locked, so a concurrent assignment waits and then fails cleanly.
   */
  delete(name: string, reassignTo: string | undefined, within?: FeedTransaction) {
    return this.inTransaction(within, async ({ manager, announce }): Promise<RoleChange> => {
      const role = await this.find(manager, name, true);
      if (role.builtIn) throw new BuiltInRoleError(name, 'deleted');
      const before = await this.view(manager, role);
      if (before.holders > 0) {
        if (reassignTo === undefined) throw new RoleInUseError(name, before.holders);
        const target = await manager.findOneBy(Role, { name: reassignTo });
        if (!target || target.id === role.id) throw new UnknownRoleError('reassign_to', reassignTo);
        await manager.query(
          `INSERT INTO user_roles (user_id, role_id)
           SELECT user_id, $2 FROM user_roles WHERE role_id = $1 ON CONFLICT DO NOTHING`,
          [role.id, target.id],
        );
        const [removed] = await manager.query<[{ user_id: string }[], number]>(
          `DELETE FROM user_roles WHERE role_id = $1 RETURNING user_id`,
          [role.id],
        );
        await manager.delete(Role, { id: role.id });
        this.recordRolesOf(
          manager,
          removed.map(({ user_id }) => user_id),
        );
      } else {
        await manager.delete(Role, { id: role.id });
      }
      await announce(ROLES_TOPIC, [EVERYONE]);
      return { before, after: null };
    });
  }

  /**
   * `user.updated` with the roles each of `userIds` holds as the change commits (sorted as
   * setUserRoles sorts them), in its transaction: a renamed or deleted role changes every
   * holder's roles, and the other services hear it as they hear any roles change (issue #22).
   */
  private recordRolesOf(manager: EntityManager, userIds: string[]): void {
    this.outbox.recordEach(
      manager,
      'user.updated',
      userIds,
      `jsonb_build_object('changes', jsonb_build_object('roles',
         (SELECT coalesce(jsonb_agg(r.name ORDER BY r.name COLLATE "C"), '[]'::jsonb)
          FROM user_roles ur JOIN roles r ON r.id = ur.role_id
          WHERE ur.user_id = holder.user_id)))`,
    );
  }

  private inTransaction<T>(
    within: FeedTransaction | undefined,
    change: (transaction: FeedTransaction) => Promise<T>,
  ): Promise<T> {
    if (within) return change(within);
    return this.feed.transaction((manager, announce) => change({ manager, announce }));
  }

  private async find(manager: EntityManager, name: string, lock = false): Promise<Role> {
    const role = await manager.findOne(Role, {
      where: { name },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!role) throw new RoleNotFoundError(name);
    return role;
  }

  private async grant(manager: EntityManager, roleId: string, permissions: Permission[]) {
    if (permissions.length === 0) return;
    await manager.insert(
      RolePermission,
      permissions.map((permission) => ({ roleId, permission })),
    );
  }

  private async view(manager: EntityManager, role: Role): Promise<RoleView> {
    const [rows, holders] = await Promise.all([
      manager.findBy(RolePermission, { roleId: role.id }),
      manager.countBy(UserRole, { roleId: role.id }),
    ]);
    const permissions =
      role.name === ADMIN_ROLE
        ? [...PERMISSIONS]
        : rows.map(({ permission }) => permission).filter(isPermission);
    return {
      name: role.name,
      builtIn: role.builtIn,
      permissions: permissions.sort(),
      holders,
      createdAt: role.createdAt,
      updatedAt: role.updatedAt,
    };
  }
}

/** Each must be named in code (422 naming the first that is not); duplicates collapse. */
function knownPermissions(permissions: readonly string[]): Permission[] {
  const unknown = permissions.find((permission) => !isPermission(permission));
  if (unknown !== undefined) throw new UnknownPermissionError('permissions', unknown);
  return [...new Set(permissions as readonly Permission[])];
}

const ROLE_NAME_UNIQUE = 'UQ_roles_name';

async function insertUniquely(manager: EntityManager, role: Role): Promise<void> {
  await orNameTaken(role.name, () => manager.insert(Role, role));
}

async function saveUniquely(manager: EntityManager, role: Role): Promise<void> {
  await orNameTaken(role.name, () => manager.save(Role, role));
}

/** Two creations of one name at once: the unique index decides, the loser gets a 409. */
async function orNameTaken(name: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const driverError =
      error instanceof QueryFailedError
        ? (error.driverError as { code?: string; constraint?: string })
        : undefined;
    if (driverError?.code === '23505' && driverError.constraint === ROLE_NAME_UNIQUE) {
      throw new RoleNameTakenError(name);
    }
    throw error;
  }
}
