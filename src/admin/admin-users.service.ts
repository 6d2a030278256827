import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AccountService } from '../account/account.service.js';
import { AccountTokensService } from '../account-tokens/account-tokens.service.js';
import { AuthorizationService } from '../authorization/authorization.service.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { PasswordHasherService } from '../passwords/password-hasher.service.js';
import { assertPasswordPolicy } from '../passwords/password-policy.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { UsersService, type UserChanges } from '../users/users.service.js';
import {
  AdminUserChangesService,
  type AdminChange,
  type AdminRequest,
} from './admin-user-changes.service.js';
import { UserNotFoundError } from '../users/users.errors.js';
import { UserDisabledError } from './admin-users.errors.js';
import { MfaNotEnabledError, type SecondFactorMethod } from '../mfa/mfa.errors.js';
import { MfaService } from '../mfa/mfa.service.js';
import { AdminUserDetailResponseDto, type AdminUserView } from './dto/admin-user-response.dto.js';

export interface NewAdminUser {
  email: string;
  username: string;
  password?: string;
  sendSetPasswordLink?: boolean;
}

export interface MfaReset {
  removedMethods: readonly SecondFactorMethod[];
  sessionsRevoked: number;
}

export interface AdminUserUpdate {
  email?: string;
  username?: string;
  isActive?: boolean;
}

const RECENT_EVENTS = 20;

/**
 * Administrators' actions on accounts (issue #19), over the services that own each rule:
 * sessions end through SessionsService, links through AccountService, the last-administrator
 * rule through AuthorizationService. Each action is audited in its own transaction.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly changes: AdminUserChangesService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly authorization: AuthorizationService,
    private readonly account: AccountService,
    private readonly mailLinks: AccountTokensService,
    private readonly passwords: PasswordHasherService,
    private readonly events: SecurityEventsService,
    private readonly mfa: MfaService,
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
    // Without a password, one nobody knows: the owner sets theirs through a reset link.
    const password = input.password ?? randomBytes(32).toString('base64url');
    const passwordHash = await this.passwords.hash(password);
    let sendLink: (() => void) | undefined;
    const user = await this.changes.within(request, async ({ manager }, record) => {
      const created = await this.users.create({ ...names, passwordHash }, manager);
      if (input.sendSetPasswordLink) {
        sendLink = await this.account.issuePasswordLink(created, 'set-password', manager);
      }
      await record('user.created', created.id, {
        after: { email: created.email, username: created.username },
        userEvent: 'account_created_by_administrator',
      });
      return created;
    });
    sendLink?.();
    await this.account.sendVerification(user);
    return { ...user, roles: [] };
  }

  /**
   * `isActive` takes the rules of disable and enable, so they hold for PATCH too; everything
   * the PATCH asks is one transaction.
   */
  async update(request: AdminRequest, id: string, update: AdminUserUpdate): Promise<AdminUserView> {
    const { email, username, isActive } = update;
    const steps: AdminChange[] = [];
    if (isActive === false) steps.push(this.disabling(id, null));
    if (isActive === true) steps.push(this.enabling());
    if (email !== undefined || username !== undefined) steps.push(this.renaming(id, update));
    if (steps.length === 0) return this.view(id);
    const before = await this.changes.applyAll(request, id, steps);
    const after = await this.view(id);
    if (after.email !== before.email) await this.account.sendVerification({ ...before, ...after });
    return after;
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
    await this.changes.apply(request, id, this.disabling(id, reason, until));
    return this.view(id);
  }

  async enable(request: AdminRequest, id: string, reason?: string): Promise<AdminUserView> {
    await this.changes.apply(request, id, this.enabling(reason));
    return this.view(id);
  }

  private disabling(id: string, reason: string | null, until?: Date): AdminChange {
    return {
      action: 'user.disabled',
      userEvent: 'disabled_by_administrator',
      changesFor: () => ({ isActive: false, disabledUntil: until ?? null }),
      alongside: ({ manager, announce }) =>
        this.sessions.revokeAllWithin(manager, announce, id, 'account_disabled').then(() => {}),
      reason,
      guardLastAdministrator: true,
    };
  }

  private enabling(reason?: string): AdminChange {
    return {
      action: 'user.enabled',
      userEvent: 'enabled_by_administrator',
      changesFor: () => ({ isActive: true, disabledUntil: null }),
      reason,
    };
  }

  private renaming(id: string, { email, username }: AdminUserUpdate): AdminChange {
    return {
      action: 'user.updated',
      userEvent: 'account_updated_by_administrator',
      changesFor: (user) => {
        const changes: UserChanges = {};
        // Not proven by the new address's owner: verified by the link mailed there.
        if (email !== undefined && loginLookupKey(email) !== user.email) {
          Object.assign(changes, { email, emailVerified: false });
        }
        if (username !== undefined && username.trim() !== user.username) {
          changes.username = username;
        }
        return changes;
      },
      // Links mailed to the old address must no longer act on the account.
      alongside: async ({ manager }, changes) => {
        if (changes.email !== undefined) await this.mailLinks.voidFor(id, 'email_changed', manager);
      },
    };
  }

  /** The last active administrator cannot be deleted (409). Audit entries outlive the account. */
  async delete(request: AdminRequest, id: string): Promise<void> {
    await this.changes.within(request, async ({ manager, announce }, record) => {
      await this.changes.guardLastAdministrator(manager, id, request);
      const user = await this.changes.lock(manager, id, request);
      // Revoked first, so every instance hears of it before the rows vanish.
      await this.sessions.revokeAllWithin(manager, announce, id, 'account_deleted');
      await this.users.deleteWithin(manager, announce, id);
      await record('user.deleted', id, { before: { email: user.email, username: user.username } });
    });
  }

  /** As the owner's logout-all: pending email changes are voided with the sessions. */
  revokeSessions(request: AdminRequest, id: string, reason?: string): Promise<number> {
    return this.changes.within(request, async ({ manager, announce }, record) => {
      await this.changes.lock(manager, id, request);
      const reasonCode = 'revoked_by_administrator';
      const count = await this.sessions.revokeAllWithin(manager, announce, id, reasonCode);
      await record('user.sessions_revoked', id, {
        after: { sessions_revoked: count },
        reason,
        userEvent: 'sessions_ended_by_administrator',
      });
      return count;
    });
  }

  /** The reset flow refuses disabled accounts, so their link would not work (409). */
  async sendPasswordReset(request: AdminRequest, id: string, reason?: string): Promise<void> {
    const send = await this.changes.within(request, async ({ manager }, record) => {
      const user = await this.changes.lock(manager, id, request);
      if (!user.isActive) throw new UserDisabledError();
      const sendMail = await this.account.issuePasswordLink(user, 'reset', manager);
      await record('user.password_reset_sent', id, {
        reason,
        userEvent: 'password_reset_sent_by_administrator',
      });
      return sendMail;
    });
    send();
  }

  /**
   * Removes the account's second factors and recovery codes (issue #20), ends every session
   * (forgetting its devices, as any administrator's revocation does), audits which methods
   * went, and mails the owner. 409 when it has none; an account outranking the actor, 403.
   */
  async resetSecondFactor(request: AdminRequest, id: string, reason: string): Promise<MfaReset> {
    const { email, ...reset } = await this.changes.within(
      request,
      async ({ manager, announce }, record) => {
        const user = await this.changes.lock(manager, id, request);
        const removed = await this.mfa.reset(id, manager);
        if (removed.methods.length === 0) throw new MfaNotEnabledError();
        const reasonCode = 'revoked_by_administrator';
        const sessionsRevoked = await this.sessions.revokeAllWithin(
          manager,
          announce,
          id,
          reasonCode,
        );
        await record('user.mfa_reset', id, {
          before: { mfa_methods: removed.methods, recovery_codes: removed.recoveryCodesRemaining },
          after: { mfa_methods: [], recovery_codes: 0, sessions_revoked: sessionsRevoked },
          reason,
          userEvent: 'mfa_reset_by_admin',
        });
        return { email: user.email, removedMethods: removed.methods, sessionsRevoked };
      },
    );
    this.mfa.sendResetNotice(email);
    return reset;
  }

  private async view(id: string): Promise<AdminUserView> {
    const user = await this.users.findById(id);
    if (!user) throw new UserNotFoundError();
    return { ...user, roles: await this.authorization.rolesOf(id) };
  }
}
