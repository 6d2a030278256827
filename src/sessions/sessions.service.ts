import { randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import {
  DataSource,
  IsNull,
  MoreThan,
  MoreThanOrEqual,
  Not,
  type EntityManager,
  type FindOptionsWhere,
  type Repository,
} from 'typeorm';
import { AccountTokensService } from '../account-tokens/account-tokens.service.js';
import { voidsMailLinks } from '../account-tokens/mail-link-voiding.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { forgetsDevices } from '../devices/device-forgetting.js';
import { DeviceNotFoundError } from '../devices/devices.errors.js';
import { DevicesService } from '../devices/devices.service.js';
import type { KnownDevice } from '../devices/entities/known-device.entity.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import type { MaybePromise } from '../platform/maybe-promise.js';
import { runPeriodically } from '../platform/periodic-task.js';
import type { Configuration } from '../config/configuration.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { ChangeFeedService, type Announce } from '../platform/change-feed/change-feed.service.js';
import { RevokedSessions, type Revocation } from './revoked-sessions.js';
import {
  Session,
  type AuthenticationMethod,
  type SessionRevocationReason,
} from './entities/session.entity.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service.js';
import { hashRefreshToken } from './refresh-token.js';
import { RefreshGrace } from './refresh-grace.js';
import { impersonationOf, refusalOf, type RotationOutcome } from './rotation-outcome.js';
import {
  claimRefreshToken,
  issueRefreshToken,
  lockSessionWithUser,
  slideSession,
  type SessionClient,
} from './rotation-steps.js';
import { SessionNotFoundError } from './sessions.errors.js';

export interface DeviceWithSessions {
  device: KnownDevice;
  sessionIds: string[];
}

/** How a login's session starts (issue #20); a password-only session without a device by default. */
export interface NewSession {
  authMethods?: AuthenticationMethod[];
  deviceId?: string | null;
  mfaEnrolmentRequired?: boolean;
}

export interface IssuedSession {
  session: Session;
  refreshToken: string;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** A salt past its grace still leads a stolen old token to an unused successor: not for long. */
const SALT_SWEEP_EVERY_MS = 60 * 1000;
const REVOCATIONS_TOPIC = 'sessions-revoked';

@Injectable()
export class SessionsService
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(SessionsService.name);
  private readonly refreshTtlMs: number;
  private readonly accessTtlMs: number;
  private readonly revoked: RevokedSessions;
  private readonly impersonatorVisible: boolean;
  private stopPruning?: () => void;
  private stopSweeping?: () => void;

  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly dataSource: DataSource,
    private readonly feed: ChangeFeedService,
    private readonly events: SecurityEventsService,
    private readonly mailLinks: AccountTokensService,
    private readonly devices: DevicesService,
    private readonly outbox: WebhookOutbox,
    private readonly grace: RefreshGrace,
    config: ConfigService<Configuration, true>,
  ) {
    this.refreshTtlMs = config.get('sessions', { infer: true }).refreshTokenTtlSeconds * 1000;
    this.accessTtlMs = config.get('tokens', { infer: true }).accessTokenTtlSeconds * 1000;
    this.revoked = new RevokedSessions(this.accessTtlMs);
    this.impersonatorVisible = config.get('audit', { infer: true }).adminIdentityVisibleToUsers;
  }

  onModuleInit(): void {
    this.feed.register({
      name: REVOCATIONS_TOPIC,
      seed: async () => this.revoked.remember(await this.revokedSince(this.revoked.seedSince())),
      poll: async (since) => this.revoked.remember(await this.revokedSince(since)),
      receive: (entries) => {
        const revocations = entries as [string, number][];
        this.revoked.remember(revocations.map(([id, at]) => ({ id, revokedAt: new Date(at) })));
      },
    });
  }

  /**
   * `authMethods`: how the login authenticated (RFC 8176 `amr`), kept for its refreshes;
   * `deviceId`: the known device the login finished on; `mfaEnrolmentRequired`: the session
   * reaches only the second-factor enrolment routes until TOTP is confirmed on it (issue #20).
   */
  start(
    userId: string,
    client: SessionClient,
    { authMethods = ['pwd'], deviceId = null, mfaEnrolmentRequired = false }: NewSession = {},
  ): Promise<IssuedSession> {
    return this.dataSource.transaction((manager) =>
      this.insert(manager, userId, client, (now) => ({
        expiresAt: this.expiryFrom(now),
        authMethods,
        deviceId,
        mfaEnrolmentRequired,
      })),
    );
  }

  /**
   * The user just confirmed a second factor on this session (issue #20). A session limited to
   * enrolment is limited no more: its next tokens say `otp`, with this `auth_time`, as a login
   * with both factors would. Other sessions keep how they signed in. Tokens issued before keep
   * their claims until they expire.
   */
  async liftEnrolmentLimit(sessionId: string, userId: string): Promise<void> {
    await this.sessions
      .createQueryBuilder()
      .update(Session)
      .set({
        mfaEnrolmentRequired: false,
        authenticatedAt: () => 'now()',
        authMethods: () => `array_append(array_remove("auth_methods", 'otp'), 'otp')`,
      })
      .where('id = :sessionId AND user_id = :userId AND mfa_enrolment_required', {
        sessionId,
        userId,
      })
      .execute();
  }

  /**
   * A session an administrator opens as the user (issue #19), in the caller's transaction
   * (with its audit entry): it ends `lifetimeSeconds` after its start whatever refreshes come.
   */
  startImpersonation(
    manager: EntityManager,
    userId: string,
    impersonatorId: string,
    client: SessionClient,
    lifetimeSeconds: number,
  ): Promise<IssuedSession> {
    return this.insert(manager, userId, client, (now) => ({
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
      impersonated: true,
      impersonatorId,
      // The user did not authenticate: their tokens carry no `amr` (issue #20).
      authMethods: [],
    }));
  }

  /**
   * Exchanges a refresh token for the next one. The session row is locked first, so of two
   * concurrent rotations (or a rotation and a logout) one waits for the other: the token is
   * claimed at most once. The loser sees it rotated: within the reuse grace it gets the
   * winner's successor (issue #23), otherwise it is reuse and the session ends.
   */
  async rotate(presentedToken: string, client: SessionClient): Promise<RotationOutcome> {
    const tokenHash = hashRefreshToken(presentedToken);
    return this.feed.transaction(async (manager, announce): Promise<RotationOutcome> => {
      const token = await manager.findOneBy(RefreshToken, { tokenHash });
      if (!token) return { kind: 'unknown' };
      const session = await lockSessionWithUser(manager, token.sessionId);
      if (!session) return { kind: 'ended' };
      const refusal = refusalOf(session);
      if (refusal) return refusal;
      const impersonation = impersonationOf(session);
      const salt = this.grace.newSalt();
      if (!(await claimRefreshToken(manager, tokenHash, salt))) {
        const successor = await this.grace.unusedSuccessor(manager, presentedToken, session.id);
        if (successor) return { kind: 'replayed', session, refreshToken: successor, impersonation };
        await this.markRevoked(manager, announce, { id: session.id }, 'refresh_token_reuse');
        return { kind: 'reused', sessionId: session.id, userId: session.userId };
      }
      await this.grace.forgetSaltsBefore(manager, session.id, tokenHash);
      await slideSession(manager, session, client, this.refreshTtlMs);
      const next = this.grace.successorOf(presentedToken, salt);
      const refreshToken = await issueRefreshToken(manager, session.id, next);
      return { kind: 'rotated', session, refreshToken, impersonation };
    });
  }

  /**
   * True while the session can still vouch for an access token issued at `issuedAt` (its
   * `iat`, in seconds) that was checked against the database on its first use. From memory
   * while the revocation feed is live and memory covers the token's issue: the signature
   * already binds `sid` to `sub`, and no access token outlives its session's expiry, so only
   * revocation can end it early. A token issued before memory's window (under a longer
   * lifetime) goes to the database: memory may have forgotten its revocation (issue #18).
   */
  isActive(sessionId: string, userId: string, issuedAt: number): MaybePromise<boolean> {
    if (this.feed.live && this.revoked.covers(issuedAt * 1000)) {
      return !this.revoked.has(sessionId);
    }
    return this.isActiveInDatabase(sessionId, userId);
  }

  /** The session exists, is the user's, and has neither ended nor been revoked. */
  isActiveInDatabase(sessionId: string, userId: string): Promise<boolean> {
    return this.sessions.existsBy({
      id: sessionId,
      userId,
      revokedAt: IsNull(),
      expiresAt: MoreThan(new Date()),
    });
  }

  /** With the username of the administrator who opened an impersonated one (issue #19). */
  listActive(userId: string): Promise<Session[]> {
    return this.sessions
      .createQueryBuilder('session')
      .leftJoin('session.impersonator', 'impersonator')
      .addSelect(['impersonator.id', 'impersonator.username'])
      .where('session.userId = :userId', { userId })
      .andWhere('session.revokedAt IS NULL AND session.expiresAt > :now', { now: new Date() })
      .orderBy('session.lastUsedAt', 'DESC')
      .getMany();
  }

  /**
   * The user's own list: an impersonated session is marked, its administrator named only
   * with ADMIN_IDENTITY_VISIBLE_TO_USERS, as in their security events.
   */
  async listForOwner(userId: string): Promise<Session[]> {
    const sessions = await this.listActive(userId);
    if (!this.impersonatorVisible) for (const session of sessions) session.impersonator = null;
    return sessions;
  }

  /**
   * The user's known devices (issue #20), each with the active sessions it started: listed
   * with the sessions, since forgetting one ends those.
   */
  async listDevices(userId: string): Promise<DeviceWithSessions[]> {
    const [devices, sessions] = await Promise.all([
      this.devices.listForOwner(userId),
      this.listActive(userId),
    ]);
    return devices.map((device) => ({
      device,
      sessionIds: sessions.filter(({ deviceId }) => deviceId === device.id).map(({ id }) => id),
    }));
  }

  /** Revocations since `since`, for the feed's seeding and polling. */
  async revokedSince(since: Date): Promise<Revocation[]> {
    const rows = await this.sessions.find({
      select: { id: true, revokedAt: true },
      where: { revokedAt: MoreThanOrEqual(since) },
    });
    return rows.map(({ id, revokedAt }) => ({ id, revokedAt: revokedAt! }));
  }

  async revoke(sessionId: string, reason: SessionRevocationReason): Promise<void> {
    await this.revokeWhere({ id: sessionId }, reason);
  }

  /** Revokes one of the user's own sessions; someone else's id is as unknown as a made-up one. */
  async revokeOwned(userId: string, sessionId: string, client: ClientInfo): Promise<void> {
    await this.feed.transaction(async (manager, announce) => {
      const reason = 'revoked_by_user';
      const revoked = await this.markRevoked(manager, announce, { id: sessionId, userId }, reason);
      if (revoked.length === 0) throw new SessionNotFoundError();
      await this.voidMailLinks(manager, userId, reason);
    });
    await this.events.record({ type: 'session_revoked', userId, client });
  }

  /**
   * Forgets one of the user's known devices and ends the sessions it started, as revoking
   * each of them would (issue #20). Someone else's device is as unknown as a made-up one.
   */
  async revokeDevice(userId: string, deviceId: string, client: ClientInfo): Promise<void> {
    await this.feed.transaction(async (manager, announce) => {
      const reason = 'revoked_by_user';
      // Sessions first: forgetting the device empties their link to it.
      await this.markRevoked(manager, announce, { userId, deviceId }, reason);
      const forgotten = await this.devices.forgetWithin(manager, userId, { only: deviceId });
      if (forgotten.length === 0) throw new DeviceNotFoundError();
      await this.voidMailLinks(manager, userId, reason);
    });
    await this.events.record({ type: 'device_revoked', userId, client });
  }

  /** Every session of the user, except `keepSessionId` (the one changing the password). */
  async revokeAllForUser(
    userId: string,
    reason: SessionRevocationReason,
    keepSessionId?: string,
  ): Promise<number> {
    return this.feed.transaction((manager, announce) =>
      this.revokeAllWithin(manager, announce, userId, reason, keepSessionId),
    );
  }

  /**
   * As revokeAllForUser, in the caller's transaction: an administrator's action revokes, and
   * is audited, in one (issue #19).
   */
  async revokeAllWithin(
    manager: EntityManager,
    announce: Announce,
    userId: string,
    reason: SessionRevocationReason,
    keepSessionId?: string,
  ): Promise<number> {
    const criteria = keepSessionId ? { userId, id: Not(keepSessionId) } : { userId };
    const revoked = await this.markRevoked(manager, announce, criteria, reason, 'all');
    await this.voidMailLinks(manager, userId, reason);
    await this.forgetDevices(manager, userId, reason, keepSessionId);
    return revoked.length;
  }

  /**
   * Deletes sessions that ended longer ago than an access token lives: by then no token
   * of theirs can still be presented, and a missing session is as dead as a revoked one.
   * Forgets, too, the successor salts whose reuse grace has passed (issue #23).
   */
  async pruneEnded(now = new Date()): Promise<number> {
    await this.grace.sweep(this.dataSource.manager);
    const cutoff = new Date(now.getTime() - this.accessTtlMs);
    const result = await this.sessions
      .createQueryBuilder()
      .delete()
      .where('revoked_at < :cutoff OR expires_at < :cutoff', { cutoff })
      .execute();
    return result.affected ?? 0;
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning sessions',
      PRUNE_EVERY_MS,
      () => this.pruneEnded(),
      this.logger,
    );
    this.stopSweeping = runPeriodically(
      'forgetting refresh successor salts',
      SALT_SWEEP_EVERY_MS,
      () => this.grace.sweep(this.dataSource.manager),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
    this.stopSweeping?.();
  }

  private async insert(
    manager: EntityManager,
    userId: string,
    client: SessionClient,
    fields: (now: Date) => Partial<Session>,
  ): Promise<IssuedSession> {
    const now = new Date();
    const session = manager.create(Session, {
      id: randomUUID(),
      userId,
      ...client,
      // Not the database's now(), the transaction's start: the end is counted from this one.
      createdAt: now,
      lastUsedAt: now,
      revokedAt: null,
      revokedReason: null,
      impersonated: false,
      impersonatorId: null,
      deviceId: null,
      authMethods: ['pwd'],
      authenticatedAt: now,
      mfaEnrolmentRequired: false,
      ...fields(now),
    });
    await manager.insert(Session, session);
    return { session, refreshToken: await issueRefreshToken(manager, session.id) };
  }

  private expiryFrom(now: Date): Date {
    return new Date(now.getTime() + this.refreshTtlMs);
  }

  private revokeWhere(
    criteria: FindOptionsWhere<Session>,
    reason: SessionRevocationReason,
  ): Promise<Revocation[]> {
    return this.feed.transaction((manager, announce) =>
      this.markRevoked(manager, announce, criteria, reason),
    );
  }

  /**
   * The owner's own revocations, and a new password's, void the pending mail links listed for
   * them (issue #18): in the revoking transaction, so neither commits without the other.
   */
  private async voidMailLinks(
    manager: EntityManager,
    userId: string,
    reason: SessionRevocationReason,
  ): Promise<void> {
    if (voidsMailLinks(reason)) await this.mailLinks.voidFor(userId, reason, manager);
  }

  /** Per DEVICES_FORGOTTEN_BY; the device of the session kept (a password change) stays. */
  private async forgetDevices(
    manager: EntityManager,
    userId: string,
    reason: SessionRevocationReason,
    keepSessionId?: string,
  ): Promise<void> {
    if (!forgetsDevices(reason)) return;
    const kept = keepSessionId
      ? await manager.findOne(Session, { select: { deviceId: true }, where: { id: keepSessionId } })
      : null;
    await this.devices.forgetWithin(manager, userId, { allBut: kept?.deviceId ?? null });
  }

  /**
   * Revokes the live sessions matching `criteria`, and announces them with the transaction;
   * each user's `session.revoked` webhook goes to the outbox in it (`scope`: every session of
   * the user, or one or a device's).
   */
  private async markRevoked(
    manager: EntityManager,
    announce: Announce,
    criteria: FindOptionsWhere<Session>,
    reason: SessionRevocationReason,
    scope: 'one' | 'all' = 'one',
  ): Promise<Revocation[]> {
    const revokedAt = new Date();
    const result = await manager
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt, revokedReason: reason })
      .where({ ...criteria, revokedAt: IsNull() })
      .returning('id, user_id')
      .execute();
    const rows = result.raw as { id: string; user_id: string }[];
    const ids = rows.map(({ id }) => id);
    for (const userId of new Set(rows.map((row) => row.user_id))) {
      const sessionIds = rows.filter((row) => row.user_id === userId).map(({ id }) => id);
      this.outbox.record(manager, {
        type: 'session.revoked',
        userId,
        data: { session_ids: sessionIds, scope, reason },
      });
    }
    await announce(
      REVOCATIONS_TOPIC,
      ids.map((id) => [id, revokedAt.getTime()]),
    );
    return ids.map((id) => ({ id, revokedAt }));
  }
}
