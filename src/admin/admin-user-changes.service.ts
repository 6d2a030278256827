import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService, type AuditRecord } from '../audit/audit.service.js';
import type { AuditFields } from '../audit/entities/audit-entry.entity.js';
import {
  AuthorizationService,
  type FeedTransaction,
} from '../authorization/authorization.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import type { SecurityEventType } from '../security-events/entities/security-event.entity.js';
import type { Principal } from '../tokens/access-token.js';
import type { User } from '../users/entities/user.entity.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { UsersService, type UserChanges } from '../users/users.service.js';
import { UserNotFoundError } from '../users/users.errors.js';

/** The request an administrator's action comes from. */
export interface AdminRequest {
  principal: Principal;
  client: ClientInfo;
}

export interface AdminChange {
  action: string;
  /** What the account's owner sees in their /auth/events. */
  userEvent: SecurityEventType;
  changesFor: (user: User) => UserChanges;
  /** More work in the same transaction (ending sessions, voiding links). */
  alongside?: (tx: FeedTransaction, changes: UserChanges) => Promise<void>;
  reason?: string | null;
  /** Refuse (409) if the account is the last active administrator. */
  guardLastAdministrator?: boolean;
}

/** Writes an audit entry of the current request in its transaction. */
type AuditRecorder = (
  action: string,
  targetId: string,
  details: Pick<AuditRecord, 'before' | 'after' | 'reason' | 'userEvent'>,
) => Promise<void>;

type AuditedUser = Pick<
  User,
  'email' | 'username' | 'isActive' | 'emailVerified' | 'disabledUntil'
>;

/** The fields an audit entry shows, by their API names; never the password hash. */
function audited(user: AuditedUser): AuditFields {
  return {
    email: user.email,
    username: user.username,
    is_active: user.isActive,
    email_verified: user.emailVerified,
    disabled_until: user.disabledUntil?.toISOString() ?? null,
  };
}

/** The user as `changes` will leave it, stored values folded as UsersService stores them. */
function applied<U extends AuditedUser>(user: U, { email, username, ...rest }: UserChanges): U {
  return {
    ...user,
    ...rest,
    email: email === undefined ? user.email : loginLookupKey(email),
    username: username === undefined ? user.username : username.trim(),
  };
}

/** Only what differs, before and after. */
function difference(before: AuditFields, after: AuditFields) {
  const keys = Object.keys(after).filter((key) => before[key] !== after[key]);
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key] ?? null])),
    after: Object.fromEntries(keys.map((key) => [key, after[key] ?? null])),
  };
}

/**
 * How an administrator's action on an account is made (issue #19): in one transaction, the
 * account row locked, the change, what goes with it, and its audit entry (with the event its
 * owner sees). Either all of it commits or none.
 */
@Injectable()
export class AdminUserChangesService {
  constructor(
    private readonly feed: ChangeFeedService,
    private readonly users: UsersService,
    private readonly authorization: AuthorizationService,
    private readonly audit: AuditService,
  ) {}

  /** Applies `change`; a change that alters nothing and does nothing alongside records nothing. */
  apply(request: AdminRequest, id: string, change: AdminChange): Promise<User> {
    return this.applyAll(request, id, [change]);
  }

  /**
   * Applies each change in turn, each audited on its own, in one transaction: a PATCH that
   * disables an account and changes its email does both or neither. Returns the account as
   * it was before.
   */
  applyAll(request: AdminRequest, id: string, changes: readonly AdminChange[]): Promise<User> {
    return this.within(request, async (tx, record) => {
      if (changes.some((change) => change.guardLastAdministrator)) {
        await this.guardLastAdministrator(tx.manager, id, request);
      }
      const before = await this.lock(tx.manager, id, request);
      let user = before;
      for (const change of changes) user = await this.applyOne(tx, record, user, change);
      return before;
    });
  }

  /** One change to the locked `user`; returns the account as the change leaves it. */
  private async applyOne(
    tx: FeedTransaction,
    record: AuditRecorder,
    user: User,
    change: AdminChange,
  ): Promise<User> {
    const changes = change.changesFor(user);
    const after = applied(user, changes);
    const diff = difference(audited(user), audited(after));
    if (Object.keys(diff.after).length === 0 && !change.alongside) return user;
    await this.users.changeWithin(tx.manager, tx.announce, user, changes);
    await change.alongside?.(tx, changes);
    await record(change.action, user.id, {
      ...diff,
      reason: change.reason,
      userEvent: change.userEvent,
    });
    return after;
  }

  /**
   * Runs `work` in one transaction; `record` writes an audit entry of this request there.
   * For actions that are not a change of the account's fields (create, delete, sessions).
   */
  within<T>(
    { principal, client }: AdminRequest,
    work: (tx: FeedTransaction, record: AuditRecorder) => Promise<T>,
  ): Promise<T> {
    return this.feed.transaction((manager, announce) =>
      work({ manager, announce }, (action, targetId, details) =>
        this.audit.record(
          {
            actor: { userId: principal.userId, label: principal.user.username },
            action,
            target: { type: 'user', id: targetId },
            client,
            ...details,
          },
          manager,
        ),
      ),
    );
  }

  /**
   * Before the account's row is locked: every such change takes the admin role's lock first,
   * so two administrators disabling each other wait in turn and one stays (issue #19). An
   * actor the account outranks hears 403 first, not whether it is the last administrator.
   */
  async guardLastAdministrator(
    manager: EntityManager,
    id: string,
    { principal }: AdminRequest,
  ): Promise<void> {
    await this.authorization.assertMayActOn(principal.userId, id, manager);
    await this.authorization.assertNotLastAdministrator(id, manager);
  }

  /**
   * The account, locked for the change; refused (403) when it holds a permission the
   * administrator lacks, so `users:write` cannot take an administrator's account over.
   */
  async lock(manager: EntityManager, id: string, { principal }: AdminRequest): Promise<User> {
    const user = await this.users.lockForChange(manager, id);
    if (!user) throw new UserNotFoundError();
    await this.authorization.assertMayActOn(principal.userId, id, manager);
    return user;
  }
}
