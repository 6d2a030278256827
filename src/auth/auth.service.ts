import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ClientInfo } from '../common/http/client-address.js';
import type { MaybePromise } from '../platform/maybe-promise.js';
import type { Configuration } from '../config/configuration.js';
import { LoginBackoffService } from '../login-backoff/login-backoff.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
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

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The authentication flows; sessions and users keep their own rules. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly requireVerifiedEmail: boolean;

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
    private readonly secondFactor: SecondFactorService,
    config: ConfigService<Configuration, true>,
  ) {
    this.requireVerifiedEmail = config.get('account', { infer: true }).requireVerifiedEmail;
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
   */
  async verifyCredentials(
    usernameOrEmail: string,
    password: string,
    client: ClientInfo,
  ): Promise<User> {
    await this.countAccountAttempt(usernameOrEmail, client);
    return this.backoff.serialise(usernameOrEmail, () =>
      this.checkCredentials(usernameOrEmail, password, client),
    );
  }

  /**
   * The account's own budget, from any address. Counted here, after LocalAuthGuard validated
   * the body: a body refused with 422 costs no hashing, so counting it would let anyone keep
   * the owner out for free (issue #18). The owner's events show the refusals, once a window,
   * so that keeping the budget spent cannot flood them either.
   *
   * Known devices (issue #20) plug in here: a login from a device the account knows must skip
   * this count, so that strangers spending the budget cannot lock its owner out.
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

  private async checkCredentials(
    usernameOrEmail: string,
    password: string,
    client: ClientInfo,
  ): Promise<User> {
    // During backoff this throws before the password is looked at: same answer either way.
    const { startsBackoff } = await this.backoff.beginAttempt(usernameOrEmail);
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
    // With a second factor the attempt stays counted until the code passes (issue #20): a
    // right password must not clear what wrong codes counted.
    if (!(await this.secondFactor.isEnrolled(user.id))) {
      await this.backoff.succeeded(usernameOrEmail);
    }
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
   * A right password: the token pair, or for an account with a second factor the 403
   * `mfa-required` whose `mfa_token` POST /auth/mfa/verify takes with the code.
   */
  async login(user: User, loginName: string, client: ClientInfo): Promise<TokenPair> {
    if (await this.secondFactor.isEnrolled(user.id)) {
      // Issue #20, known devices: a login from a device its owner asked to remember skips the
      // second step here (DevicesService.isRemembered(user.id, deviceToken)).
      await this.secondFactor.challenge(user.id, loginName, client);
    }
    return this.startSession(user, ['pwd'], client);
  }

  /** The login's second step: a right code for its `mfa_token` opens the session. */
  async verifySecondFactor(
    mfaToken: string,
    proof: SecondFactorProof,
    client: ClientInfo,
  ): Promise<TokenPair> {
    const user = await this.secondFactor.completeLogin(mfaToken, proof, client);
    if (!user.isActive) throw new AccountDisabledError();
    return this.startSession(user, ['pwd', 'otp'], client);
  }

  private async startSession(
    user: User,
    methods: AuthenticationMethod[],
    client: ClientInfo,
  ): Promise<TokenPair> {
    const { session, refreshToken } = await this.sessions.start(user.id, client, methods);
    await this.events.record({ type: 'login_succeeded', userId: user.id, client });
    return this.tokenPair(user.id, session, refreshToken);
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const outcome = await this.sessions.rotate(refreshToken, client);
    switch (outcome.kind) {
      case 'rotated': {
        const user = await this.users.findById(outcome.session.userId);
        if (!user?.isActive) throw new AccountDisabledError();
        return this.tokenPair(user.id, outcome.session, outcome.refreshToken, {
          impersonation: outcome.impersonation,
        });
      }
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

  /**
   * Runs once the JWT's signature, iss, aud and exp have passed, the first time it is seen.
   * The session is looked up in the database whatever memory holds: memory knows which
   * sessions were revoked, not which exist, and a validly signed token naming a session that
   * never existed (or one pruned) must be refused (ASVS V3). Once per token, not per request.
   */
  async authenticate(
    claims: Partial<AccessTokenClaims> & { exp?: unknown; iat?: unknown },
  ): Promise<Principal> {
    const { sub, sid, jti, act, amr, auth_time } = claims;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') {
      throw new InvalidAccessTokenError();
    }
    if (!UUID.test(sub) || !UUID.test(sid)) throw new InvalidAccessTokenError();
    if (!hasValidLifetime(claims)) throw new InvalidAccessTokenError();
    // Only ours sign tokens, but an `act` of another shape must not read as "not impersonated".
    if (act !== undefined && !isActor(act)) throw new InvalidAccessTokenError();
    if (amr !== undefined && !isStringList(amr)) throw new InvalidAccessTokenError();
    if (auth_time !== undefined && !Number.isFinite(auth_time)) throw new InvalidAccessTokenError();
    const [active, user] = await Promise.all([
      this.sessions.isActiveInDatabase(sid, sub),
      this.users.findForRequest(sub),
    ]);
    return principalOf({ sub, sid, jti, act, amr, auth_time }, active, user);
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
    const signIn = { methods: session.authMethods, at: session.authenticatedAt };
    const { accessToken, expiresIn } = this.tokens.issueAccessToken(
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
  { sub, sid, jti, act, amr, auth_time }: AccessTokenClaims,
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
  return principal;
}
