import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccountService } from '../account/account.service.js';
import { AccountTokensService } from '../account-tokens/account-tokens.service.js';
import { AuditService, type AuditRecord } from '../audit/audit.service.js';
import type { AuditFields } from '../audit/entities/audit-entry.entity.js';
import {
  AuthorizationService,
  type FeedTransaction,
} from '../authorization/authorization.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { PasswordHasherService } from '../passwords/password-hasher.service.js';
import { assertPasswordPolicy } from '../passwords/password-policy.js';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import type { SecurityEventType } from '../security-events/entities/security-event.entity.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { Principal } from '../tokens/access-token.js';
import type { User } from '../users/entities/user.entity.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { UsersService, type UserChanges } from '../users/users.service.js';
import { UserDisabledError, UserNotFoundError } from './admin-users.errors.js';
import { AdminUserDetailResponseDto, type AdminUserView } from './dto/admin-user-response.dto.js';

/** The request an administrator's action comes from. */
export interface AdminRequest {
  principal: Principal;
  client: ClientInfo;
}

export interface NewAdminUser {
  email: string;
  username: string;
  password?: string;
  sendSetPasswordLink?: boolean;
}

export interface AdminUserUpdate {
  email?: string;
  username?: string;
  isActive?: boolean;
}

const RECENT_EVENTS = 20;

/** The fields an audit entry shows, by their API names; never the password hash. */
function audited(
  user: Pick<User, 'email' | 'username' | 'isActive' | 'emailVerified' | 'disabledUntil'>,
): AuditFields {
  return {
    email: user.email,
    username: user.username,
    is_active: user.isActive,
    email_verified: user.emailVerified,
    disabled_until: user.disabledUntil?.toISOString() ?? null,
  };
}

/** Only what differs, before and after. */
function changed(
  before: AuditFields,
  after: AuditFields,
): { before: AuditFields; after: AuditFields } {
  const keys = Object.keys(after).filter((key) => before[key] !== after[key]);
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key] ?? null])),
    after: Object.fromEntries(keys.map((key) => [key, after[key] ?? null])),
  };
}

/**
 * Administrators' actions on accounts (issue #19), over the services that own each rule.
 * Each runs in one transaction with its audit entry and the event its target sees.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly feed: ChangeFeedService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly authorization: AuthorizationService,
    private readonly account: AccountService,
    private readonly mailLinks: AccountTokensService,
    private readonly passwords: PasswordHasherService,
    private readonly events: SecurityEventsService,
    private readonly audit: AuditService,
  ) {}

  async detail(id: string): Promise<AdminUserDetailResponseDto> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    const [roles, sessions, events] = await Promise.all([
      this.authorization.rolesOf(id),
      this.sessions.listActive(id),
      this.events.listForUser(id, RECENT_EVENTS),
    ]);
    return AdminUserDetailResponseDto.detail({ ...user, roles }, sessions, events.events);
  }

  async create(request: AdminRequest, input: NewAdminUser): Promise<AdminUserView> {
    const names = { email: input.email, username: input.username };
    if (input.password !== undefined) assertPasswordPolicy(input.password, names);
    // Without a password, one nobody knows: the account is reached by a reset link.
    const password = input.password ?? randomBytes(32).toString('base64url');
    const passwordHash = await this.passwords.hash(password);
    let sendLink: (() => void) | undefined;
    const user = await this.feed.transaction(async (manager) => {
      const created = await this.users.create({ ...names, passwordHash }, manager);
      if (input.sendSetPasswordLink) {
        sendLink = await this.account.issuePasswordLink(created, 'set-password', manager);
      }
      await this.record(request, manager, 'user.created', created.id, {
        after: { email: created.email, username: created.username },
        userEvent: 'account_created_by_administrator',
      });
      return created;
    });
    sendLink?.();
    await this.account.sendVerification(user);
    return { ...user, roles: [] };
  }

  async update(request: AdminRequest, id: string, update: AdminUserUpdate): Promise<AdminUserView> {
    if (update.isActive === false) await this.disable(request, id, null);
    if (update.isActive === true) await this.enable(request, id);
    const { email, username } = update;
    if (email !== undefined || username !== undefined) {
      const before = await this.change(
        request,
        id,
        'user.updated',
        'account_updated_by_administrator',
        (user) => {
          const changes: UserChanges = {};
          if (email !== undefined && loginLookupKey(email) !== user.email) {
            // Not proven by this address's owner: it is verified by the link mailed there.
            Object.assign(changes, { email, emailVerified: false });
          }
          if (username !== undefined && username.trim() !== user.username)
            changes.username = username;
          return changes;
        },
        async ({ manager }, changes) => {
          // Links mailed to the old address must no longer act on the account.
          if (changes.email !== undefined)
            await this.mailLinks.voidFor(id, 'email_changed', manager);
        },
      );
      const after = await this.users.findById(id);
      if (after && before.email !== after.email) await this.account.sendVerification(after);
    }
    return this.view(id);
  }

  /** Ends every session too; the last active administrator cannot be disabled (409). */
  async disable(
    request: AdminRequest,
    id: string,
    reason: string | null,
    until?: Date,
  ): Promise<AdminUserView> {
    if (until && until.getTime() <= Date.now()) {
      throw new RequestValidationError([{ field: 'until', message: 'must be in the future' }]);
    }
    await this.change(
      request,
      id,
      'user.disabled',
      'disabled_by_administrator',
      () => ({
        isActive: false,
        disabledUntil: until ?? null,
      }),
      async ({ manager, announce }) => {
        await this.sessions.revokeAllWithin(manager, announce, id, 'account_disabled');
      },
      { reason, lastAdministrator: true },
    );
    return this.view(id);
  }

  async enable(request: AdminRequest, id: string, reason?: string): Promise<AdminUserView> {
    await this.change(
      request,
      id,
      'user.enabled',
      'enabled_by_administrator',
      () => ({
        isActive: true,
        disabledUntil: null,
      }),
      undefined,
      { reason },
    );
    return this.view(id);
  }

  async delete(request: AdminRequest, id: string, reason?: string): Promise<void> {
    await this.feed.transaction(async (manager, announce) => {
      await this.authorization.assertNotLastAdministrator(id, manager);
      const user = await this.lock(manager, id);
      // Revoked first, so every instance hears of it before the rows vanish.
      await this.sessions.revokeAllWithin(manager, announce, id, 'account_deleted');
      await this.users.deleteWithin(manager, announce, id);
      await this.record(request, manager, 'user.deleted', id, {
        before: { email: user.email, username: user.username },
        reason,
      });
    });
  }

  /** As the owner's logout-all: pending email changes are voided with the sessions. */
  async revokeSessions(request: AdminRequest, id: string, reason?: string): Promise<number> {
    return this.feed.transaction(async (manager, announce) => {
      await this.lock(manager, id);
      const count = await this.sessions.revokeAllWithin(
        manager,
        announce,
        id,
        'revoked_by_administrator',
      );
      await this.record(request, manager, 'user.sessions_revoked', id, {
        after: { sessions_revoked: count },
        reason,
        userEvent: 'sessions_ended_by_administrator',
      });
      return count;
    });
  }

  async sendPasswordReset(request: AdminRequest, id: string, reason?: string): Promise<void> {
    const send = await this.feed.transaction(async (manager) => {
      const user = await this.lock(manager, id);
      if (!user.isActive) throw new UserDisabledError();
      const sendMail = await this.account.issuePasswordLink(user, 'reset', manager);
      await this.record(request, manager, 'user.password_reset_sent', id, {
        reason,
        userEvent: 'password_reset_sent_by_administrator',
      });
      return sendMail;
    });
    send();
  }

  /**
   * Locks the user, applies what `changesFor` returns, runs `alongside`, and records the
   * fields that changed: all in one transaction. Nothing to change records nothing.
   */
  private async change(
    request: AdminRequest,
    id: string,
    action: string,
    userEvent: SecurityEventType,
    changesFor: (user: User) => UserChanges,
    alongside?: (tx: FeedTransaction, changes: UserChanges) => Promise<void>,
    options: { reason?: string | null; lastAdministrator?: boolean } = {},
  ): Promise<User> {
    return this.feed.transaction(async (manager, announce) => {
      // The admin role first, then the user: the order every such change takes its locks in.
      if (options.lastAdministrator)
        await this.authorization.assertNotLastAdministrator(id, manager);
      const user = await this.lock(manager, id);
      const changes = changesFor(user);
      const before = audited(user);
      const after = audited({
        ...user,
        ...changes,
        email: changes.email === undefined ? user.email : loginLookupKey(changes.email),
        username: changes.username?.trim() ?? user.username,
      });
      const diff = changed(before, after);
      if (Object.keys(diff.after).length === 0 && !alongside) return user;
      await this.users.changeWithin(manager, announce, id, changes);
      await alongside?.({ manager, announce }, changes);
      await this.record(request, manager, action, id, {
        ...diff,
        reason: options.reason,
        userEvent,
      });
      return user;
    });
  }

  private async lock(manager: EntityManager, id: string): Promise<User> {
    const user = await this.users.lockForChange(manager, id);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  private async view(id: string): Promise<AdminUserView> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    return { ...user, roles: await this.authorization.rolesOf(id) };
  }

  private record(
    { principal, client }: AdminRequest,
    manager: EntityManager,
    action: string,
    targetId: string,
    details: Pick<AuditRecord, 'before' | 'after' | 'userEvent'> & { reason?: string | null },
  ): Promise<void> {
    return this.audit.record(
      {
        actor: { userId: principal.userId, label: principal.user.username },
        action,
        target: { type: 'user', id: targetId },
        client,
        ...details,
      },
      manager,
    );
  }
}
