import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import { toString as qrCodeSvg } from 'qrcode';
import { RecentSignInRequiredError, WrongPasswordError } from '../account/account.errors.js';
import { RequestValidationError } from '../common/problem.exception.js';
import type { ClientInfo } from '../common/http/client-address.js';
import type { Configuration } from '../config/configuration.js';
import { DevicesService } from '../devices/devices.service.js';
import { LoginBackoffService } from '../login-backoff/login-backoff.service.js';
import { MailService } from '../mail/mail.service.js';
import { PasswordHasherService } from '../passwords/password-hasher.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { Principal } from '../tokens/access-token.js';
import { InvalidAccessTokenError } from '../tokens/tokens.errors.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service.js';
import { mfaMails } from './mfa-mails.js';
import {
  MfaAlreadyEnabledError,
  MfaNotEnabledError,
  WrongMfaCodeError,
  type SecondFactorMethod,
} from './mfa.errors.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { SecondFactorService, type SecondFactorProof } from './second-factor.service.js';
import { hasRecentSignIn } from './step-up.guard.js';
import { TotpFactorsService } from './totp-factors.service.js';
import { describeTotp } from './totp.js';

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

/** What a reset removed, for the audit entry: never a secret or a code. */
export interface RemovedSecondFactors {
  methods: SecondFactorMethod[];
  recoveryCodesRemaining: number;
}

export interface MfaStatus {
  totp: { confirmedAt: Date } | null;
  recoveryCodesRemaining: number;
}

/** Enrolling and managing a user's second factors (issue #20). */
@Injectable()
export class MfaService {
  private readonly issuer: string;

  constructor(
    private readonly totp: TotpFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly secondFactor: SecondFactorService,
    private readonly users: UsersService,
    private readonly passwords: PasswordHasherService,
    private readonly backoff: LoginBackoffService,
    private readonly sessions: SessionsService,
    private readonly events: SecurityEventsService,
    private readonly mail: MailService,
    private readonly devices: DevicesService,
    private readonly dataSource: DataSource,
    private readonly outbox: WebhookOutbox,
    config: ConfigService<Configuration, true>,
  ) {
    this.issuer = config.get('mfa', { infer: true }).totpIssuer;
  }

  /** What is enrolled; never the secret. */
  async status(userId: string): Promise<MfaStatus> {
    const factor = await this.totp.findConfirmed(userId);
    return {
      totp: factor?.confirmedAt ? { confirmedAt: factor.confirmedAt } : null,
      recoveryCodesRemaining: factor ? await this.recoveryCodes.remaining(userId) : 0,
    };
  }

  /**
   * A new secret for the app, inactive until confirmed. 409 while one is on. Confirmed by the
   * password, or, for an account without one (opened through a provider), by a sign-in in the
   * last 5 minutes (issue #21 review).
   */
  async setup(principal: Principal, password: string | undefined): Promise<TotpSetup> {
    // Before the password: its check would clear the backoff that wrong codes build up.
    if (await this.totp.isEnrolled(principal.userId)) throw new MfaAlreadyEnabledError();
    const user = await this.confirmOwner(principal, password, true);
    const { base32, uri } = describeTotp(
      await this.totp.startSetup(user.id),
      user.email,
      this.issuer,
    );
    const svg = await qrCodeSvg(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret: base32, otpauthUri: uri, qrCodeSvg: svg };
  }

  /**
   * Turns the pending setup on with a code from the app; the recovery codes, shown once.
   * Wrong codes count towards the user's own backoff: a stolen access token must not be able
   * to guess a pending setup's secret and take its recovery codes.
   */
  async confirm(principal: Principal, code: string, client: ClientInfo): Promise<string[]> {
    const user = principal.user;
    const subject = { userId: user.id };
    const codes = await this.backoff.serialise(subject, async () => {
      await this.backoff.beginAttempt(subject);
      const confirmed = await this.dataSource.transaction(async (manager) => {
        if (!(await this.totp.confirm(user.id, code, manager))) return null;
        // Devices remembered under an earlier factor must not skip this one.
        await this.devices.forgetRememberedWithin(manager, user.id);
        const event = { type: 'mfa.enabled', userId: user.id, data: { method: 'totp' } } as const;
        this.outbox.record(manager, event);
        return this.recoveryCodes.replace(user.id, manager);
      });
      if (confirmed) await this.backoff.succeeded(subject);
      return confirmed;
    });
    if (!codes) {
      await this.events.record({ type: 'mfa_failed', userId: user.id, reason: 'setup', client });
      throw new WrongMfaCodeError('code');
    }
    await this.sessions.liftEnrolmentLimit(principal.sessionId, user.id);
    await this.events.record({ type: 'mfa_enabled', userId: user.id, client });
    this.mail.send(mfaMails.enabled(user.email));
    return codes;
  }

  /** A new set of recovery codes; every earlier one stops working. */
  async regenerateRecoveryCodes(
    principal: Principal,
    password: string | undefined,
    proof: SecondFactorProof,
    client: ClientInfo,
  ): Promise<string[]> {
    const user = await this.checkEnrolledOwner(principal, password, proof, client);
    const codes = await this.dataSource.transaction((manager) =>
      this.recoveryCodes.replace(user.id, manager),
    );
    await this.events.record({ type: 'recovery_codes_regenerated', userId: user.id, client });
    return codes;
  }

  /** Turns the second factor off and signs every other session out. */
  async disable(
    principal: Principal,
    password: string | undefined,
    proof: SecondFactorProof,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.checkEnrolledOwner(principal, password, proof, client);
    await this.reset(user.id);
    await this.sessions.revokeAllForUser(user.id, 'mfa_disabled', principal.sessionId);
    await this.events.record({ type: 'mfa_disabled', userId: user.id, client });
    this.mail.send(mfaMails.disabled(user.email));
  }

  /**
   * Removes every second factor and recovery code of the user (a pending setup too), the
   * devices remembered for them and the logins waiting for a code; in `manager`'s transaction
   * when given. Answers what the user had: the seam for an administrator's reset (issue #20),
   * whose caller audits, notifies and ends the sessions.
   */
  async reset(userId: string, manager?: EntityManager): Promise<RemovedSecondFactors> {
    const remove = async (tx: EntityManager): Promise<RemovedSecondFactors> => {
      // One after the other: a transaction's queries share its one connection.
      const recoveryCodesRemaining = await this.recoveryCodes.remaining(userId, tx);
      const totp = await this.totp.remove(userId, tx);
      await this.recoveryCodes.remove(userId, tx);
      await this.devices.forgetRememberedWithin(tx, userId);
      await this.secondFactor.cancelPendingLogins(userId, tx);
      // A setup never confirmed guarded nothing: only a confirmed factor's removal is news.
      if (totp) {
        this.outbox.record(tx, { type: 'mfa.disabled', userId, data: { method: 'totp' } });
      }
      const methods: SecondFactorMethod[] = [];
      if (totp) methods.push('totp');
      if (recoveryCodesRemaining > 0) methods.push('recovery_code');
      return { methods, recoveryCodesRemaining };
    };
    return manager ? remove(manager) : this.dataSource.transaction(remove);
  }

  /** The owner's notice of an administrator's reset; the caller mails it once that commits. */
  sendResetNotice(email: string): void {
    this.mail.send(mfaMails.resetByAdministrator(email));
  }

  private async checkEnrolledOwner(
    principal: Principal,
    password: string | undefined,
    proof: SecondFactorProof,
    client: ClientInfo,
  ): Promise<User> {
    if (!(await this.totp.isEnrolled(principal.userId))) throw new MfaNotEnabledError();
    // One attempt for both: a right password alone must not clear what wrong codes counted.
    const user = await this.confirmOwner(principal, password, false);
    const field = proof.code !== undefined ? 'code' : 'recovery_code';
    await this.secondFactor.prove(user, proof, client, () => new WrongMfaCodeError(field));
    return user;
  }

  /**
   * The signed-in owner: by the password, or for an account without one (opened through a
   * provider) by a sign-in in the last 5 minutes. A right password clears the backoff only
   * when `clears` (no code is to follow).
   */
  private async confirmOwner(
    principal: Principal,
    password: string | undefined,
    clears: boolean,
  ): Promise<User> {
    const user = await this.users.findByIdWithPasswordHash(principal.userId);
    if (!user) throw new InvalidAccessTokenError('The account no longer exists.');
    if (user.passwordHash === null) {
      if (!hasRecentSignIn(principal)) throw new RecentSignInRequiredError();
      return user;
    }
    if (password === undefined) {
      throw new RequestValidationError([
        { field: 'password', message: 'is required for an account with a password' },
      ]);
    }
    await this.checkPassword(user.id, user.passwordHash, password, clears);
    return user;
  }

  /**
   * The signed-in user's password: guesses count towards the user's own backoff, the one
   * codes count on, which only a session or the password can raise (strangers keeping the
   * login name's running must not lock the owner out here).
   */
  private async checkPassword(
    userId: string,
    passwordHash: string,
    password: string,
    clears: boolean,
  ): Promise<void> {
    const subject = { userId };
    await this.backoff.serialise(subject, async () => {
      await this.backoff.beginAttempt(subject);
      if (!(await this.passwords.verify(password, passwordHash))) {
        throw new WrongPasswordError('password');
      }
      if (clears) await this.backoff.succeeded(subject);
    });
  }
}
