import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConfigService } from '@nestjs/config';
import { AccountTokensService } from '../account-tokens/account-tokens.service.js';
import type { AccountToken } from '../account-tokens/entities/account-token.entity.js';
import { AuthorizationService } from '../authorization/authorization.service.js';
import { BootstrapAdministratorService } from '../authorization/bootstrap-administrator.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { RequestValidationError } from '../common/problem.exception.js';
import type { Configuration } from '../config/configuration.js';
import type { AccountConfig } from './account.config.js';
import { LoginBackoffService } from '../login-backoff/login-backoff.service.js';
import { SecondFactorService } from '../mfa/second-factor.service.js';
import { MailService } from '../mail/mail.service.js';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { User } from '../users/entities/user.entity.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { AccountFieldTakenError } from '../users/users.errors.js';
import { UsersService } from '../users/users.service.js';
import type { Principal } from '../tokens/access-token.js';
import { accountMails } from './account-mails.js';
import {
  InvalidAccountTokenError,
  NewEmailTakenError,
  PasswordNotSetError,
  RecentSignInRequiredError,
  WrongPasswordError,
} from './account.errors.js';
import { hasRecentSignIn } from '../mfa/step-up.guard.js';
import { InvalidAccessTokenError } from '../tokens/tokens.errors.js';
import { PasswordHasherService } from '../passwords/password-hasher.service.js';
import { assertPasswordPolicy } from '../passwords/password-policy.js';

/** The account lifecycle after signup: verification, reset, changes, deletion (issue #4). */
@Injectable()
export class AccountService {
  private readonly logger = new Logger(AccountService.name);
  private readonly settings: AccountConfig;

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordHasherService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly events: SecurityEventsService,
    private readonly rateLimits: RateLimitService,
    private readonly backoff: LoginBackoffService,
    private readonly bootstrapAdministrator: BootstrapAdministratorService,
    private readonly authorization: AuthorizationService,
    private readonly feed: ChangeFeedService,
    private readonly secondFactor: SecondFactorService,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('account', { infer: true });
  }

  async sendVerification(user: User): Promise<void> {
    const ttlSeconds = this.settings.emailVerificationTtlSeconds;
    const token = await this.tokens.issue({
      userId: user.id,
      purpose: 'verify_email',
      email: user.email,
      ttlSeconds,
    });
    const url = this.mail.link('/verify-email', token);
    this.mail.send(accountMails.verifyEmail(user.email, url, ttlSeconds / 3600));
  }

  async resendVerification(principal: Principal): Promise<void> {
    await this.rateLimits.enforce('verify-email-resend', principal.userId);
    if (principal.user.emailVerified) return;
    await this.sendVerification(principal.user);
  }

  /** Follows a verification link, or the confirmation of a new address. */
  async verifyEmail(token: string, client: ClientInfo): Promise<void> {
    const found = await this.tokens.findUsable(token, ['verify_email', 'change_email']);
    if (!found) throw new InvalidAccountTokenError();
    if (found.purpose === 'change_email') return this.confirmNewEmail(token, found, client);
    const used = await this.tokens.consume(token, ['verify_email']);
    if (!used) throw new InvalidAccountTokenError();
    // Bound to the address it was sent to: after an email change it verifies nothing.
    if (!(await this.users.markEmailVerified(used.userId, used.email))) {
      throw new InvalidAccountTokenError();
    }
    await this.events.record({ type: 'email_verified', userId: used.userId, client });
    await this.bootstrapAdministrator.emailVerified(used.email);
  }

  /** For a client with no session (issue #18); answered as `requestPasswordReset` is. */
  async requestVerification(email: string, client: ClientInfo): Promise<void> {
    await this.rateLimits.enforce('verify-email-request-account', loginLookupKey(email));
    this.afterAnswering('could not send a verification link', client, async () => {
      const user = await this.users.findByEmail(email);
      if (user?.isActive && !user.emailVerified) await this.sendVerification(user);
    });
  }

  /**
   * Answers at once and does the work afterwards, the same way for a known and an unknown
   * address, so neither the answer nor its timing tells whether an account exists. The
   * address's budget is counted here, once the body is valid: a body refused by validation
   * must not spend it, or anyone could keep its owner from resetting (issue #18).
   */
  async requestPasswordReset(email: string, client: ClientInfo): Promise<void> {
    await this.rateLimits.enforce('forgot-password-account', loginLookupKey(email));
    this.afterAnswering('could not start a password reset', client, () =>
      this.mailPasswordReset(email, client),
    );
  }

  async resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    // Checked before the token is used up, so a refused password leaves the link working.
    const found = await this.tokens.findUsable(token, ['reset_password']);
    const user = found && (await this.users.findById(found.userId));
    if (!found || !user?.isActive || user.email !== found.email) {
      throw new InvalidAccountTokenError();
    }
    assertPasswordPolicy(newPassword, user, 'new_password');
    const passwordHash = await this.passwords.hash(newPassword);
    if (!(await this.tokens.consume(token, ['reset_password']))) {
      throw new InvalidAccountTokenError();
    }
    await this.users.setPasswordHash(user.id, passwordHash);
    // Whoever had the old password (or a stolen session) is signed out everywhere, and any
    // email change they started dies with it (MAIL_LINKS_VOIDED_BY): else its link would
    // hand them the account.
    await this.sessions.revokeAllForUser(user.id, 'password_reset');
    // A login that passed the old password must not finish with a code (issue #20).
    await this.secondFactor.cancelPendingLogins(user.id);
    await Promise.all([this.backoff.succeeded(user.username), this.backoff.succeeded(user.email)]);
    await this.events.record({ type: 'password_reset', userId: user.id, client });
    this.mail.send(accountMails.passwordChanged(user.email));
  }

  async changePassword(
    principal: Principal,
    current: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.checkPassword(principal, current, 'current_password');
    assertPasswordPolicy(newPassword, user, 'new_password');
    await this.users.setPasswordHash(user.id, await this.passwords.hash(newPassword));
    // Also voids pending reset links and email changes (MAIL_LINKS_VOIDED_BY).
    await this.sessions.revokeAllForUser(user.id, 'password_changed', principal.sessionId);
    await this.secondFactor.cancelPendingLogins(user.id);
    await this.events.record({ type: 'password_changed', userId: user.id, client });
    this.mail.send(accountMails.passwordChanged(user.email));
  }

  async requestEmailChange(
    principal: Principal,
    newEmail: string,
    password: string,
    client: ClientInfo,
  ): Promise<void> {
    await this.rateLimits.enforce('change-email', principal.userId);
    const user = await this.checkPassword(principal, password, 'password');
    const email = loginLookupKey(newEmail);
    if (email === user.email) {
      throw new RequestValidationError([
        { field: 'new_email', message: 'is already the email address of this account' },
      ]);
    }
    if (await this.users.isEmailTaken(email)) throw new AccountFieldTakenError('email');
    // Counted once the request would mail: only real confirmations spend the address's budget.
    await this.rateLimits.enforce('change-email-target', email);
    const ttlSeconds = this.settings.emailVerificationTtlSeconds;
    const token = await this.tokens.issue({
      userId: user.id,
      purpose: 'change_email',
      email,
      ttlSeconds,
    });
    const url = this.mail.link('/verify-email', token);
    this.mail.send(accountMails.confirmNewEmail(email, url, ttlSeconds / 3600));
    this.mail.send(accountMails.emailChangeRequested(user.email, email));
    await this.events.record({ type: 'email_change_requested', userId: user.id, client });
  }

  /** The last active administrator cannot delete their account (409), as with an admin's delete. */
  async deleteAccount(principal: Principal, password: string): Promise<void> {
    const user = await this.checkPassword(principal, password, 'password');
    await this.feed.transaction(async (manager, announce) => {
      // The admin role's lock first, as every admin change takes it (issue #19).
      await this.authorization.assertNotLastAdministrator(user.id, manager);
      // Revoked first, so every instance hears of it before the rows vanish.
      await this.sessions.revokeAllWithin(manager, announce, user.id, 'account_deleted');
      await this.users.deleteWithin(manager, announce, user.id);
    });
    await Promise.all([this.backoff.succeeded(user.username), this.backoff.succeeded(user.email)]);
    this.logger.log({ msg: 'account deleted', user_id: user.id });
    this.mail.send(accountMails.accountDeleted(user.email));
  }

  /**
   * The link is used up in the transaction that changes the address, so an address someone
   * else took in the meantime (issue #18) leaves it unused: it works once the address is free.
   */
  private async confirmNewEmail(
    token: string,
    { userId, email }: AccountToken,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user?.isActive) throw new InvalidAccountTokenError();
    let changed: boolean;
    try {
      changed = await this.users.changeEmail(user.id, email, async (manager) =>
        Boolean(await this.tokens.consume(token, ['change_email'], manager)),
      );
    } catch (error) {
      if (error instanceof AccountFieldTakenError) throw new NewEmailTakenError();
      throw error;
    }
    if (!changed) throw new InvalidAccountTokenError();
    await this.tokens.voidFor(user.id, 'email_changed');
    await this.events.record({ type: 'email_changed', userId: user.id, client });
    this.mail.send(accountMails.emailChanged(user.email, email));
    await this.bootstrapAdministrator.emailVerified(email);
  }

  private async mailPasswordReset(email: string, client: ClientInfo): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user?.isActive) return;
    (await this.issuePasswordLink(user, 'reset'))();
    await this.events.record({ type: 'password_reset_requested', userId: user.id, client });
  }

  /**
   * A reset link for `user` (`set-password`: worded for an account an administrator opened),
   * issued in `manager`'s transaction when given. Returns the sending of the mail, for the
   * caller to run once that transaction committed: a rolled-back link must not be mailed.
   */
  async issuePasswordLink(
    user: User,
    kind: 'reset' | 'set-password',
    manager?: EntityManager,
  ): Promise<() => void> {
    const ttlSeconds = this.settings.passwordResetTtlSeconds;
    const token = await this.tokens.issue(
      { userId: user.id, purpose: 'reset_password', email: user.email, ttlSeconds },
      manager,
    );
    const url = this.mail.link('/reset-password', token);
    const compose = kind === 'reset' ? accountMails.passwordReset : accountMails.setPassword;
    return () => this.mail.send(compose(user.email, url, ttlSeconds / 60));
  }

  /** Work whose outcome must not show in the answer (or its timing): failures go to the log. */
  private afterAnswering(failure: string, client: ClientInfo, work: () => Promise<void>): void {
    work().catch((error: unknown) =>
      this.logger.warn({ msg: failure, request_id: client.requestId, err: error }),
    );
  }

  /**
   * What confirms a change a stolen access token alone must not make (issue #21 review): the
   * password of an account with one (`field` names it: 422 when missing), or a sign-in in the
   * last 5 minutes for an account without (403 `recent-sign-in-required`).
   */
  async confirmSignedInUser(
    principal: Principal,
    password: string | undefined,
    field: string,
  ): Promise<void> {
    const user = await this.users.findByIdWithPasswordHash(principal.userId);
    if (!user) throw new InvalidAccessTokenError('The account no longer exists.');
    if (user.passwordHash === null) {
      if (!hasRecentSignIn(principal)) throw new RecentSignInRequiredError();
      return;
    }
    if (password === undefined) {
      throw new RequestValidationError([
        { field, message: 'is required for an account with a password' },
      ]);
    }
    await this.checkPassword(principal, password, field);
  }

  /**
   * The signed-in user's password, for changes that a stolen access token alone must not
   * make. Guesses count towards the user's own backoff, which only a session or the password
   * can raise: strangers keeping the login name's running must not lock the owner out of
   * their own account's settings (issue #20). An account with no password (opened through a
   * provider) is told so first, and nothing is counted.
   */
  private async checkPassword(
    principal: Principal,
    password: string,
    field: string,
  ): Promise<User> {
    const user = await this.users.findByIdWithPasswordHash(principal.userId);
    if (!user) throw new InvalidAccessTokenError('The account no longer exists.');
    if (user.passwordHash === null) throw new PasswordNotSetError();
    const subject = { userId: user.id };
    await this.backoff.serialise(subject, async () => {
      await this.backoff.beginAttempt(subject);
      if (!(await this.passwords.verify(password, user.passwordHash))) {
        throw new WrongPasswordError(field);
      }
      await this.backoff.succeeded(subject);
    });
    return user;
  }
}
