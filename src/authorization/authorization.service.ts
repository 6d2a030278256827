import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, In, Not, type EntityManager } from 'typeorm';
import { ChangeFeedService, type Announce } from '../platform/change-feed/change-feed.service.js';
import type { MaybePromise } from '../platform/maybe-promise.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service.js';
import { UserNotFoundError } from '../users/users.errors.js';
import { Role } from './entities/role.entity.js';
import { UserRole } from './entities/user-role.entity.js';
import {
  LastAdministratorError,
  TargetOutranksActorError,
  UnknownRoleError,
} from './authorization.errors.js';
import { ADMIN_ROLE, isPermission, PERMISSIONS, type Permission } from './permissions.js';

/** What a user may do: the roles they hold and the permissions those grant. */
export interface Grants {
  roles: readonly string[];
  permissions: ReadonlySet<Permission>;
  /** The same, sorted, for GET /auth/me. */
  permissionList: readonly Permission[];
}

/** The transaction a change runs in, as `ChangeFeedService.transaction` hands it over. */
export interface FeedTransaction {
  manager: EntityManager;
  announce: Announce;
}

/** Announces user ids whose roles changed, or EVERYONE when a role itself changed. */
export const ROLES_TOPIC = 'roles-changed';
export const EVERYONE = '*';
/** Most accounts hold no role and share one small entry; as many entries as UsersService. */
const CACHE_LIMIT = 20_000;
const NO_GRANTS: Grants = { roles: [], permissions: new Set(), permissionList: [] };

/**
 * Who may do what (issue #19). Each instance keeps the grants of recent requesters in
 * memory while the change feed is live, and forgets them when any instance announces a
 * change to a user's roles or to a role: within a second everywhere. Never from a token.
 */
@Injectable()
export class AuthorizationService implements OnModuleInit {
  private readonly cache = new Map<string, Grants>();
  /** Bumped by every invalidation, so a read that raced one is not cached. */
  private generation = 0;
  /**
   * The role tables' change count at the last seed or poll. It only grows, so a count the
   * same as before means every cached entry was loaded from the current state.
   */
  private seenVersion?: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly feed: ChangeFeedService,
    private readonly outbox: WebhookOutbox,
  ) {}

  /**
   * The poll is the net under a lost message, and also sees changes made in plain SQL: a
   * trigger counts every change to the role tables (migration CountRoleChanges), and any
   * count other than the last one seen forgets everything.
   */
  onModuleInit(): void {
    this.feed.register({
      name: ROLES_TOPIC,
      seed: async () => {
        this.seenVersion = await this.changeCount();
        this.forget(EVERYONE);
      },
      poll: async () => {
        const version = await this.changeCount();
        if (version === this.seenVersion) return;
        this.seenVersion = version;
        this.forget(EVERYONE);
      },
      receive: (entries) => this.forget(...(entries as string[])),
    });
  }

  /** From memory at once while the feed is live and the user is cached (the guard's path). */
  grantsOf(userId: string): MaybePromise<Grants> {
    if (!this.feed.live) return this.loadGrants(userId, this.dataSource.manager);
    return this.cache.get(userId) ?? this.loadAndRemember(userId);
  }

  async permissionsOf(userId: string): Promise<ReadonlySet<Permission>> {
    return (await this.grantsOf(userId)).permissions;
  }

  /** With `manager`, from the database inside that transaction. */
  async rolesOf(userId: string, manager?: EntityManager): Promise<string[]> {
    const grants = manager ? await this.loadGrants(userId, manager) : await this.grantsOf(userId);
    return [...grants.roles];
  }

  /** Inside a transaction (`manager`), from the database: for rules that must not be stale. */
  async hasRole(userId: string, role: string, manager?: EntityManager): Promise<boolean> {
    const grants = manager ? await this.loadGrants(userId, manager) : await this.grantsOf(userId);
    return grants.roles.includes(role);
  }

  /**
   * Replaces the user's roles with `roleNames` (all must exist) and announces it. Pass the
   * caller's transaction to make it part of a larger change (and its audit record).
   */
  async setUserRoles(
    userId: string,
    roleNames: readonly string[],
    within?: FeedTransaction,
  ): Promise<string[]> {
    if (!within) {
      return this.feed.transaction((manager, announce) =>
        this.setUserRoles(userId, roleNames, { manager, announce }),
      );
    }
    const { manager, announce } = within;
    await this.lockRolesOf(userId, manager);
    const wanted = [...new Set(roleNames)].sort();
    // FOR SHARE: a role being deleted or renamed meanwhile waits for this, or this for it.
    const roles =
      wanted.length > 0
        ? await manager.find(Role, {
            where: { name: In(wanted) },
            lock: { mode: 'pessimistic_read' },
          })
        : [];
    const unknown = wanted.find((name) => !roles.some((role) => role.name === name));
    if (unknown !== undefined) throw new UnknownRoleError('roles', unknown);
    if (!wanted.includes(ADMIN_ROLE)) await this.assertNotLastAdministrator(userId, manager);
    const roleIds = roles.map(({ id }) => id);
    const held = (await this.loadGrants(userId, manager)).roles;
    await manager.delete(UserRole, {
      userId,
      ...(roleIds.length > 0 && { roleId: Not(In(roleIds)) }),
    });
    if (roleIds.length > 0) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(UserRole)
        .values(roleIds.map((roleId) => ({ userId, roleId })))
        .orIgnore()
        .execute();
    }
    if (held.join() !== wanted.join()) this.recordRoles(manager, userId, wanted);
    await announce(ROLES_TOPIC, [userId]);
    return wanted;
  }

  /**
   * Holds the account's row until the transaction ends, so that changes of its roles run one
   * after the other: two at once would each delete what they saw and together leave the union
   * of both sets. FOR NO KEY UPDATE: rows that merely reference the account (a session, a role
   * given) do not wait for it. Taken before any role row, in every change of a user's roles.
   */
  async lockRolesOf(userId: string, manager: EntityManager): Promise<void> {
    const [locked] = await manager.query<unknown[]>(
      'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE',
      [userId],
    );
    if (!locked) throw new UserNotFoundError();
  }

  /** `user.updated` with the roles the user now holds, in the change's transaction (issue #22). */
  recordRoles(manager: EntityManager, userId: string, roles: string[]): void {
    this.outbox.record(manager, {
      type: 'user.updated',
      userId,
      data: { changes: { roles } },
    });
  }

  /**
   * Refuses (409) when `userId` is the only active account holding `admin`: call it before
   * demoting, disabling or deleting someone, inside that change's transaction. The admin role
   * row is locked first (FOR UPDATE), so of two administrators demoting or disabling each
   * other at once the second waits, then counts what the first left: one stays (issue #19).
   * `manager` is required: the lock only protects a change made in the same transaction.
   */
  async assertNotLastAdministrator(userId: string, manager: EntityManager): Promise<void> {
    const [admin] = await manager.query<{ id: string }[]>(
      `SELECT id FROM roles WHERE name = $1 FOR UPDATE`,
      [ADMIN_ROLE],
    );
    if (!admin) return;
    const [holders] = await manager.query<{ active: number; includes_user: boolean }[]>(
      `SELECT count(*)::int AS active, coalesce(bool_or(ur.user_id = $2), false) AS includes_user
       FROM user_roles ur JOIN users u ON u.id = ur.user_id
       WHERE ur.role_id = $1 AND u.is_active`,
      [admin.id, userId],
    );
    if (holders?.includes_user && holders.active <= 1) throw new LastAdministratorError();
  }

  /**
   * Refuses (403) when `targetId` holds a permission `actorId` lacks, both read in the caller's
   * transaction: an action on an account must not reach what the actor could not do itself
   * (issue #19 review). An administrator (every permission) passes; one's own account passes.
   */
  async assertMayActOn(actorId: string, targetId: string, manager: EntityManager): Promise<void> {
    if (actorId === targetId) return;
    await this.assertCovers(await this.loadGrants(actorId, manager), targetId, manager);
  }

  /**
   * As assertMayActOn, with the actor's grants read before: a change of roles checks the
   * target after it too, so no one grants (themselves included) more than they hold.
   */
  async assertCovers(actor: Grants, targetId: string, manager: EntityManager): Promise<void> {
    const target = await this.loadGrants(targetId, manager);
    if (target.permissionList.some((permission) => !actor.permissions.has(permission))) {
      throw new TargetOutranksActorError();
    }
  }

  /** Inside the caller's transaction, from the database. */
  grantsWithin(userId: string, manager: EntityManager): Promise<Grants> {
    return this.loadGrants(userId, manager);
  }

  /** Kept for the next request unless roles changed meanwhile (a newer generation). */
  private async loadAndRemember(userId: string): Promise<Grants> {
    const generation = this.generation;
    const grants = await this.loadGrants(userId, this.dataSource.manager);
    if (generation === this.generation && this.feed.live) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(userId, grants);
    }
    return grants;
  }

  /** `admin` grants every permission in code, including ones added after its rows were seeded. */
  private async loadGrants(userId: string, manager: EntityManager): Promise<Grants> {
    const rows = await manager.query<{ role: string; permission: string | null }[]>(
      `SELECT r.name AS role, rp.permission
       FROM user_roles ur JOIN roles r ON r.id = ur.role_id
       LEFT JOIN role_permissions rp ON rp.role_id = r.id
       WHERE ur.user_id = $1`,
      [userId],
    );
    if (rows.length === 0) return NO_GRANTS;
    const roles = new Set<string>();
    const permissions = new Set<Permission>();
    for (const { role, permission } of rows) {
      roles.add(role);
      if (role === ADMIN_ROLE) PERMISSIONS.forEach((each) => permissions.add(each));
      // A permission since removed from the code grants nothing.
      else if (permission !== null && isPermission(permission)) permissions.add(permission);
    }
    return { roles: [...roles].sort(), permissions, permissionList: [...permissions].sort() };
  }

  private async changeCount(): Promise<string> {
    const [row] = await this.dataSource.query<{ version: string }[]>(
      'SELECT version FROM role_changes',
    );
    return row?.version ?? '';
  }

  private forget(...userIds: string[]): void {
    this.generation += 1;
    if (userIds.includes(EVERYONE)) this.cache.clear();
    else for (const userId of userIds) this.cache.delete(userId);
  }
}
