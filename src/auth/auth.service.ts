import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ClientInfo } from '../common/http/client-address.js';
import type { MaybePromise } from '../platform/maybe-promise.js';
import type { Configuration } from '../config/configuration.js';
import { DevicesService } from '../devices/devices.service.js';
import {
  LoginBackoffService,
  type BackoffSubject,
} from '../login-backoff/login-backoff.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import type { RotationOutcome } from '../sessions/rotation-outcome.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import {
  hasValidLifetime,
  type AccessTokenClaims,
  type Principal,
  type VerifiedClaims,
} from '../tokens/access-token.js';
import {
  AccountDisabledError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenReusedError,
} from './auth.errors.js';
import { InvalidAccessTokenError } from '../tokens/tokens.errors.js';
import { EmailNotVerifiedError } from '../account/account.errors.js';
import { AccountService } from '../account/account.service.js';
import { AuthorizationService, type Grants } from '../authorization/authorization.service.js';
import { PasswordHasherService } from '../passwords/password-hasher.service.js';
import { assertPasswordPolicy } from '../passwords/password-policy.js';
import { TokenService, type Impersonation } from '../tokens/token.service.js';
import { RateLimitedError } from '../rate-limit/rate-limit.errors.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { SecondFactorService, type SecondFactorProof } from '../mfa/second-factor.service.js';
import type { AuthenticationMethod, Session } from '../sessions/entities/session.entity.js';

export interface NewAccount {
  email: string;
  username: string;
  password: string;
}

/** How the first factor was proven: a password, or a provider. */
export type LoginMethod = { method: 'password' } | { method: 'provider'; provider: string };

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  /** A login's only (issue #20): the token of the device it finished on. */
  deviceToken?: string;
}

/** A login's wish for a device token: to keep the one presented (if known), or a new one. */
export interface DeviceRequest {
  presented: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The authentication flows; sessions and users keep their own rules. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly requireVerifiedEmail: boolean;
  private readonly rememberDeviceDays: number;

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordHasherService,
    private readonly tokens: TokenService,
    private readonly backoff: LoginBackoffService,
    private readonly events: SecurityEventsService,
    private readonly account: AccountService,
    private readonly rateLimits: RateLimitService,
    private readonly authorization: AuthorizationService,
    private readonly devices: DevicesService,
    private readonly secondFactor: SecondFactorService,
    config: ConfigService<Configuration, true>,
  ) {
    this.requireVerifiedEmail = config.get('account', { infer: true }).requireVerifiedEmail;
    this.rememberDeviceDays = config.get('mfa', { infer: true }).rememberDeviceDays;
  }

  async signup({ email, username, password }: NewAccount, client: ClientInfo): Promise<User> {
    assertPasswordPolicy(password, { username, email });
    const passwordHash = await this.passwords.hash(password);
    const user = await this.users.create({ email, username, passwordHash });
    await this.events.record({ type: 'signup', userId: user.id, client });
    await this.account.sendVerification(user);
    return user;
  }

  /**
   * Unknown account and wrong password fail the same way and take the same time. A disabled
   * account is reported only to someone who knows its password.
   *
   * A device token known for the named account (issue #20) moves the attempt off the
   * account's budget and backoff onto the device's own backoff: strangers spending the
   * account's cannot keep its owner out, and a stolen token is no unlimited guessing oracle.
   * Any other token (unknown, expired, another account's) is treated as none, after the same
   * one query, so the answer tells nothing about it.
   */
  async verifyCredentials(
    usernameOrEmail: string,
    password: string,
    client: ClientInfo,
    deviceToken?: string,
  ): Promise<User> {
    const deviceId = deviceToken
      ? await this.devices.recognise(usernameOrEmail, deviceToken)
      : null;
    const counted: BackoffSubject = deviceId ? { deviceId } : usernameOrEmail;
    if (!deviceId) await this.countAccountAttempt(usernameOrEmail, client);
    return this.backoff.serialise(counted, () =>
      this.checkCredentials(usernameOrEmail, password, client, counted),
    );
  }

  /**
   * The account's own budget, from any address. Counted here, after LocalAuthGuard validated
   * the body: a body refused with 422 costs no hashing, so counting it would let anyone keep
   * the owner out for free (issue #18). The owner's events show the refusals, once a window,
   * so that keeping the budget spent cannot flood them either.
   *
   * A login from a device the account knows skips this count (issue #20, verifyCredentials),
   * so that strangers spending the budget cannot lock its owner out.
   */
  private async countAccountAttempt(usernameOrEmail: string, client: ClientInfo): Promise<void> {
    const key = loginLookupKey(usernameOrEmail);
    const outcome = await this.rateLimits.consume('login-account', key);
    if (!outcome || outcome.allowed) return;
    if (outcome.firstRefusal) {
      const user = await this.users.findByLogin(key);
      await this.events.record({ type: 'login_rate_limited', userId: user?.id ?? null, client });
    }
    throw new RateLimitedError(outcome.resetSeconds);
  }

  /** `counted`: the account's name, or the known device the attempt came from. */
  private async checkCredentials(
    usernameOrEmail: string,
    password: string,
    client: ClientInfo,
    counted: BackoffSubject,
  ): Promise<User> {
    // During backoff this throws before the password is looked at: same answer either way.
    const { startsBackoff } = await this.backoff.beginAttempt(counted);
    const user = await this.users.findByLoginWithPasswordHash(usernameOrEmail);
    const matches = user
      ? await this.passwords.verify(password, user.passwordHash)
      : await this.passwords.verifyAgainstDummy(password);
    if (!user || !matches) {
      const userId = user?.id ?? null;
      const reason = user ? 'wrong_password' : 'unknown_account';
      await this.events.record({ type: 'login_failed', userId, reason, client });
      if (startsBackoff) await this.events.record({ type: 'login_backoff', userId, client });
      throw new InvalidCredentialsError();
    }
    // A known device's success clears its own count only: forgetting the account's would hand
    // whoever is spending it a fresh budget each time the owner signs in. Wrong second-factor
    // codes count on the user's own subject (issue #20), which a right password leaves alone.
    await this.backoff.succeeded(counted);
    if (!user.isActive) {
      await this.events.record({
        type: 'login_failed',
        userId: user.id,
        reason: 'account_disabled',
        client,
      });
      throw new AccountDisabledError();
    }
    if (this.requireVerifiedEmail && !user.emailVerified) {
      await this.events.record({
        type: 'login_failed',
        userId: user.id,
        reason: 'email_not_verified',
        client,
      });
      throw new EmailNotVerifiedError();
    }
    return user;
  }

  /**
   * Every sign-in ends here once the user proved who they are: a password (LocalAuthGuard) or
   * a provider (issue #21). An account with a second factor answers the 403 `mfa-required`
   * instead, whose `mfa_token` POST /auth/mfa/verify takes with the code (issue #20), unless
   * the client presents a device its owner asked to remember.
   *
   * A client that asks for a device (issue #20) gets its session on the device it presented,
   * if known for this user, else on a new one, whose token the pair carries. One that does not
   * ask gets the pair alone, as before.
   */
  async login(
    user: User,
    client: ClientInfo,
    via: LoginMethod = { method: 'password' },
    deviceRequest?: DeviceRequest,
  ): Promise<TokenPair> {
    // The password path refused a disabled account already; a provider's path did not.
    if (!user.isActive) throw new AccountDisabledError();
    const firstFactor: AuthenticationMethod = via.method === 'password' ? 'pwd' : 'fed';
    const enrolled = await this.secondFactor.isEnrolled(user.id);
    if (enrolled && !(await this.isRememberedDevice(user.id, deviceRequest))) {
      const provider = via.method === 'provider' ? via.provider : null;
      await this.secondFactor.challenge(user.id, provider, client);
    }
    // MFA_REQUIRED_ROLES (issue #20): read here, at each login, so a role granted since counts.
    const mfaEnrolmentRequired =
      !enrolled && this.secondFactor.requiresEnrolment(await this.authorization.rolesOf(user.id));
    return this.startSession(user, [firstFactor], client, via, deviceRequest, mfaEnrolmentRequired);
  }

  /**
   * The login's second step: a right code for its `mfa_token` opens the session. With
   * `remember`, the device it finishes on skips the second step for MFA_REMEMBER_DEVICE_DAYS.
   */
  async verifySecondFactor(
    mfaToken: string,
    proof: SecondFactorProof,
    client: ClientInfo,
    { deviceRequest, remember }: { deviceRequest?: DeviceRequest; remember?: boolean } = {},
  ): Promise<TokenPair> {
    const { user, provider } = await this.secondFactor.completeLogin(mfaToken, proof, client);
    if (!user.isActive) throw new AccountDisabledError();
    const via: LoginMethod = provider ? { method: 'provider', provider } : { method: 'password' };
    const firstFactor: AuthenticationMethod = provider ? 'fed' : 'pwd';
    const wish = remember ? (deviceRequest ?? { presented: undefined }) : deviceRequest;
    const pair = await this.startSession(user, [firstFactor, 'otp'], client, via, wish);
    if (remember && pair.deviceToken) {
      await this.devices.remember(user.id, pair.deviceToken, this.rememberDeviceDays, client);
    }
    return pair;
  }

  private async isRememberedDevice(userId: string, request?: DeviceRequest): Promise<boolean> {
    return request?.presented !== undefined && this.devices.isRemembered(userId, request.presented);
  }

  private async startSession(
    user: User,
    methods: AuthenticationMethod[],
    client: ClientInfo,
    via: LoginMethod,
    deviceRequest?: DeviceRequest,
    mfaEnrolmentRequired = false,
  ): Promise<TokenPair> {
    const device = deviceRequest
      ? await this.devices.keepOrIssue(user.id, deviceRequest.presented, client)
      : undefined;
    const { session, refreshToken } = await this.sessions.start(user.id, client, {
      authMethods: methods,
      deviceId: device?.id,
      mfaEnrolmentRequired,
    });
    await this.events.record(
      via.method === 'password'
        ? { type: 'login_succeeded', userId: user.id, client }
        : { type: 'oauth_login', userId: user.id, reason: via.provider, client },
    );
    const pair = await this.tokenPair(user.id, session, refreshToken);
    return device ? { ...pair, deviceToken: device.token } : pair;
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const outcome = await this.sessions.rotate(refreshToken, client);
    switch (outcome.kind) {
      case 'replayed':
        // Not theft (issue #23): a refresh answered but not received. No security event, which
        // would cry wolf to the user at every two-tab race; a line for operators tuning the grace.
        this.logger.log({
          event: 'refresh_token_grace_replay',
          session_id: outcome.session.id,
          request_id: client.requestId,
        });
        // The same successor again, with a fresh access token, as for the rotation it repeats.
        return this.refreshedPair(outcome);
      case 'rotated':
        return this.refreshedPair(outcome);
      case 'account-disabled':
        throw new AccountDisabledError();
      case 'reused':
        this.logger.warn({
          event: 'refresh_token_reuse',
          session_id: outcome.sessionId,
          request_id: client.requestId,
        });
        await this.events.record({ type: 'refresh_token_reused', userId: outcome.userId, client });
        throw new RefreshTokenReusedError();
      case 'unknown':
      case 'ended':
        throw new InvalidRefreshTokenError();
    }
  }

  /** The answer to a refresh that rotated, or repeated a rotation within the grace. */
  private async refreshedPair(
    outcome: Extract<RotationOutcome, { kind: 'rotated' | 'replayed' }>,
  ): Promise<TokenPair> {
    const user = await this.users.findById(outcome.session.userId);
    if (!user?.isActive) throw new AccountDisabledError();
    return this.tokenPair(user.id, outcome.session, outcome.refreshToken, {
      impersonation: outcome.impersonation,
    });
  }

  /**
   * Runs once the JWT's signature, iss, aud and exp have passed, the first time it is seen.
   * The session is looked up in the database whatever memory holds: memory knows which
   * sessions were revoked, not which exist, and a validly signed token naming a session that
   * never existed (or one pruned) must be refused (ASVS V3). Once per token, not per request.
   */
  async authenticate(
    claims: Partial<AccessTokenClaims> & { exp?: unknown; iat?: unknown },
  ): Promise<Principal> {
    const { sub, sid, jti, act, amr, auth_time, mfa_enrolment_required } = claims;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') {
      throw new InvalidAccessTokenError();
    }
    if (!UUID.test(sub) || !UUID.test(sid)) throw new InvalidAccessTokenError();
    if (!hasValidLifetime(claims)) throw new InvalidAccessTokenError();
    // Only ours sign tokens, but an `act` of another shape must not read as "not impersonated".
    if (act !== undefined && !isActor(act)) throw new InvalidAccessTokenError();
    if (amr !== undefined && !isStringList(amr)) throw new InvalidAccessTokenError();
    if (auth_time !== undefined && !Number.isFinite(auth_time)) throw new InvalidAccessTokenError();
    // Any other value than ours must not read as "not limited to enrolment".
    if (mfa_enrolment_required !== undefined && mfa_enrolment_required !== true) {
      throw new InvalidAccessTokenError();
    }
    const [active, user] = await Promise.all([
      this.sessions.isActiveInDatabase(sid, sub),
      this.users.findForRequest(sub),
    ]);
    const verified = { sub, sid, jti, act, amr, auth_time, mfa_enrolment_required };
    return principalOf(verified, active, user);
  }

  /**
   * For claims that passed `authenticate` before (a token remembered by the guard): only what
   * can change since, on every request: the session and the account. Answered at once when
   * both are known in memory (the revocation and user feeds live, the user cached).
   */
  authenticateAgain(claims: VerifiedClaims): MaybePromise<Principal> {
    const sessionActive = this.sessions.isActive(claims.sid, claims.sub, claims.iat);
    const user = this.users.findForRequest(claims.sub);
    return sessionActive instanceof Promise || user instanceof Promise
      ? Promise.all([sessionActive, user]).then(([active, found]) =>
          principalOf(claims, active, found),
        )
      : principalOf(claims, sessionActive, user);
  }

  /** The FastAPI service blacklisted the token; ending its session kills it and its refresh token. */
  async logout(principal: Principal, client: ClientInfo): Promise<void> {
    await this.sessions.revoke(principal.sessionId, 'logout');
    await this.events.record({ type: 'logout', userId: principal.userId, client });
  }

  async logoutAll(principal: Principal, client: ClientInfo): Promise<number> {
    const revoked = await this.sessions.revokeAllForUser(principal.userId, 'logout_all');
    await this.events.record({ type: 'logout_all', userId: principal.userId, client });
    return revoked;
  }

  /** The caller's roles and permissions, for GET /auth/me: from memory, like the guard's. */
  grantsOf(principal: Principal): MaybePromise<Grants> {
    return this.authorization.grantsOf(principal.userId);
  }

  /**
   * The `roles` claim is a snapshot for other services; see AccessTokenClaims. A session an
   * administrator opened as the user (issue #19) gets the `act` claim and its fixed end.
   */
  private async tokenPair(
    userId: string,
    session: Session,
    refreshToken: string,
    { impersonation }: { impersonation?: Impersonation } = {},
  ): Promise<TokenPair> {
    const roles = await this.authorization.rolesOf(userId);
    // `amr` and `auth_time` are the login's, carried over on every refresh (issue #20).
    const signIn = {
      methods: session.authMethods,
      at: session.authenticatedAt,
      mfaEnrolmentRequired: session.mfaEnrolmentRequired,
    };
    const { accessToken, expiresIn } = await this.tokens.issueAccessToken(
      userId,
      session.id,
      roles,
      signIn,
      impersonation,
    );
    return { accessToken, refreshToken, expiresIn };
  }
}

function isActor(act: unknown): act is { sub: string } {
  return (
    typeof act === 'object' &&
    act !== null &&
    typeof (act as { sub?: unknown }).sub === 'string' &&
    UUID.test((act as { sub: string }).sub)
  );
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function principalOf(
  { sub, sid, jti, act, amr, auth_time, mfa_enrolment_required }: AccessTokenClaims,
  sessionActive: boolean,
  user: User | null,
): Principal {
  if (!sessionActive || !user) {
    throw new InvalidAccessTokenError('The access token has been revoked: its session has ended.');
  }
  if (!user.isActive) throw new AccountDisabledError();
  const principal: Principal = {
    userId: sub,
    sessionId: sid,
    tokenId: jti,
    user,
    authMethods: amr ?? [],
    authTime: auth_time,
  };
  if (act) principal.actor = act.sub;
  if (mfa_enrolment_required) principal.mfaEnrolmentRequired = true;
  return principal;
}
