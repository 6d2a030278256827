import { randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  MoreThanOrEqual,
  QueryFailedError,
  type EntityManager,
  type FindOptionsWhere,
  type QueryDeepPartialEntity,
  type Repository,
} from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ChangeFeedService, type Announce } from '../platform/change-feed/change-feed.service.js';
import type { MaybePromise } from '../platform/maybe-promise.js';
import { RequestUserCache } from './request-user-cache.js';
import { runPeriodically } from '../platform/periodic-task.js';
import type { UserFieldChanges, WebhookEventInput } from '../webhooks/webhook-events.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.service.js';
import { loginLookupKey } from './login-lookup-key.js';
import { usernameSkeleton } from './username-skeleton.js';
import { AccountFieldTakenError, type TakenBy } from './users.errors.js';
import {
  USER_EMAIL_UNIQUE,
  USER_USERNAME_SKELETON_UNIQUE,
  USER_USERNAME_UNIQUE,
  User,
} from './entities/user.entity.js';

export interface NewUser {
  email: string;
  username: string;
  /** Null for an account opened through a provider (issue #21): no password until reset. */
  passwordHash: string | null;
  /** True only when the address was proven: a provider that verified it (issue #21). */
  emailVerified?: boolean;
}

/** What an administrator may change (issue #19); absent fields stay as they are. */
export interface UserChanges {
  email?: string;
  username?: string;
  emailVerified?: boolean;
  isActive?: boolean;
  disabledUntil?: Date | null;
}

const TAKEN_BY_CONSTRAINT: Record<string, TakenBy> = {
  [USER_EMAIL_UNIQUE]: { field: 'email' },
  [USER_USERNAME_UNIQUE]: { field: 'username' },
  [USER_USERNAME_SKELETON_UNIQUE]: { field: 'username', lookalike: true },
};

const USERS_TOPIC = 'users-changed';
/** A ban's end is also applied at the account's next login attempt; this catches the rest. */
const LIFT_BANS_EVERY_MS = 60 * 1000;

@Injectable()
export class UsersService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsersService.name);
  private stopLiftingBans?: () => void;
  /** Users of recent bearer requests; used only while the change feed is live. */
  private readonly cache = new RequestUserCache();

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly feed: ChangeFeedService,
    private readonly audit: AuditService,
    private readonly outbox: WebhookOutbox,
  ) {}

  /**
   * Any instance that changes a user announces its id (issue #4's email, password and
   * deletion flows publish here); every instance forgets it at once. Changes made straight
   * in SQL bump updated_at (a trigger) and are forgotten on the next poll, within seconds.
   */
  onModuleInit(): void {
    this.feed.register({
      name: USERS_TOPIC,
      seed: () => Promise.resolve(this.cache.evictAll()),
      poll: async (since) => {
        const changed = await this.users.find({
          select: { id: true, updatedAt: true },
          where: { updatedAt: MoreThanOrEqual(since) },
        });
        this.cache.evictPolled(changed, since);
      },
      receive: (ids) => this.forget(...(ids as string[])),
    });
  }

  /** The user behind an authenticated request: from memory, at once, while the feed is live. */
  findForRequest(id: string): MaybePromise<User | null> {
    if (!this.feed.live) return this.findById(id);
    return (
      this.cache.get(id) ??
      this.cache.load(
        id,
        (userId) => this.findById(userId),
        () => this.feed.live,
      )
    );
  }

  /**
   * Uniqueness is the unique indexes' job, not a read-then-write check: of concurrent
   * signups for one name exactly one insert wins and the others become a 409 here. Without a
   * caller's transaction it opens one: the account and its `user.created` event go together.
   */
  async create(newUser: NewUser, manager?: EntityManager): Promise<User> {
    if (!manager) return this.users.manager.transaction((own) => this.create(newUser, own));
    const user = manager.create(User, {
      id: randomUUID(),
      email: loginLookupKey(newUser.email),
      username: newUser.username.trim(),
      usernameNormalized: loginLookupKey(newUser.username),
      usernameSkeleton: usernameSkeleton(newUser.username),
      passwordHash: newUser.passwordHash,
      emailVerified: newUser.emailVerified ?? false,
    });
    try {
      await manager.insert(User, user);
    } catch (error) {
      const taken = takenBy(error);
      if (taken) throw new AccountFieldTakenError(taken);
      throw error;
    }
    const { id, email, username, emailVerified } = user;
    this.outbox.record(manager, {
      type: 'user.created',
      userId: id,
      data: { email, username, email_verified: emailVerified },
    });
    // insert() filled in the generated columns (created_at, updated_at, is_active) from RETURNING.
    return user;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: loginLookupKey(email) });
  }

  findByIdWithPasswordHash(id: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOne();
  }

  /** Neither the name nor one that looks like it (its skeleton) belongs to an account. */
  async isUsernameFree(username: string): Promise<boolean> {
    const taken = await this.users.existsBy([
      { usernameNormalized: loginLookupKey(username) },
      { usernameSkeleton: usernameSkeleton(username) },
    ]);
    return !taken;
  }

  /**
   * Whether the account has a password, its row locked until `manager`'s transaction ends:
   * a change that must leave the user a way to sign in (issue #21) decides on this alone.
   */
  async lockAndCheckPassword(manager: EntityManager, id: string): Promise<boolean> {
    const user = await manager
      .createQueryBuilder(User, 'user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
    return Boolean(user?.passwordHash);
  }

  async isEmailTaken(email: string): Promise<boolean> {
    return this.users.existsBy({ email: loginLookupKey(email) });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.updateAndAnnounce(id, { id }, { passwordHash }, undefined, {
      type: 'password.changed',
      userId: id,
    });
  }

  /** Only while the account still has `email`: a link to an old address verifies nothing. */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const affected = await this.updateAndAnnounce(
      id,
      { id, email },
      { emailVerified: true },
      undefined,
      { type: 'user.updated', userId: id, data: { changes: { email_verified: true } } },
    );
    return affected > 0;
  }

  /**
   * The new address was proven by following a link sent to it, so it is verified. `proof`
   * runs first in the same transaction (using up that link): false leaves the account as it
   * is, and an address taken meanwhile (409) rolls the proof back too.
   */
  async changeEmail(
    id: string,
    email: string,
    proof: (manager: EntityManager) => Promise<boolean>,
  ): Promise<boolean> {
    try {
      const changes = { email: loginLookupKey(email), email_verified: true };
      const affected = await this.updateAndAnnounce(
        id,
        { id },
        { email: changes.email, emailVerified: true },
        proof,
        { type: 'user.updated', userId: id, data: { changes } },
      );
      return affected > 0;
    } catch (error) {
      const taken = takenBy(error);
      if (taken) throw new AccountFieldTakenError(taken);
      throw error;
    }
  }

  /** Sessions, tokens and events go with the user (foreign keys cascade). */
  async delete(id: string): Promise<void> {
    await this.feed.transaction((manager, announce) => this.deleteWithin(manager, announce, id));
  }

  async deleteWithin(manager: EntityManager, announce: Announce, id: string): Promise<void> {
    const { affected } = await manager.delete(User, { id });
    // Deleted meanwhile (two deletions at once): the first one recorded the event.
    if (!affected) return;
    this.outbox.record(manager, { type: 'user.deleted', userId: id });
    await announce(USERS_TOPIC, [id]);
  }

  /**
   * The user as it is, locked until the caller's transaction ends: an administrator's change
   * reads its `before` and writes in one step, never over a concurrent one.
   */
  lockForChange(manager: EntityManager, id: string): Promise<User | null> {
    return manager.findOne(User, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * An administrator's change to `current` (locked by lockForChange), in their transaction; a
   * taken email or username is a 409. `user.updated` names only the fields whose value moved,
   * and is not recorded when none did (a re-disable, the email it already has).
   */
  async changeWithin(
    manager: EntityManager,
    announce: Announce,
    current: User,
    changes: UserChanges,
  ): Promise<void> {
    const { id } = current;
    const { username, email, ...rest } = changes;
    const columns: QueryDeepPartialEntity<User> = { ...rest };
    if (email !== undefined) columns.email = loginLookupKey(email);
    if (username !== undefined) {
      columns.username = username.trim();
      columns.usernameNormalized = loginLookupKey(username);
      columns.usernameSkeleton = usernameSkeleton(username);
    }
    try {
      await manager.update(User, { id }, columns);
    } catch (error) {
      const taken = takenBy(error);
      if (taken) throw new AccountFieldTakenError(taken);
      throw error;
    }
    const moved = withoutUnchanged(reported(columns), reported(current));
    if (Object.keys(moved).length > 0) {
      this.outbox.record(manager, {
        type: 'user.updated',
        userId: id,
        data: { changes: moved },
      });
    }
    await announce(USERS_TOPIC, [id]);
  }

  /**
   * Enables the accounts whose ban has ended (all of them, or those of `ids`), each audited
   * as enabled by `system` and shown to its owner (`ban_ended`). Rows locked: of two
   * instances sweeping at once, the second finds them enabled and records nothing.
   */
  liftEndedBans(ids?: string[]): Promise<string[]> {
    return this.feed.transaction(async (manager, announce) => {
      const rows = await manager.query<{ id: string; disabled_until: Date }[]>(
        `WITH ended AS (
           SELECT id, disabled_until FROM users
           WHERE is_active = false AND disabled_until <= now()
             AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
           FOR UPDATE
         ), lifted AS (
           UPDATE users u SET is_active = true, disabled_until = NULL
           FROM ended WHERE u.id = ended.id
           RETURNING u.id, ended.disabled_until
         )
         SELECT id, disabled_until FROM lifted`,
        [ids ?? null],
      );
      for (const { id, disabled_until: until } of rows) {
        await this.audit.record(
          {
            actor: { userId: null, label: 'system' },
            action: 'user.enabled',
            target: { type: 'user', id },
            before: { is_active: false, disabled_until: until.toISOString() },
            after: { is_active: true, disabled_until: null },
            reason: 'the ban ended',
            userEvent: 'ban_ended',
          },
          manager,
        );
        this.outbox.record(manager, {
          type: 'user.updated',
          userId: id,
          data: { changes: { is_active: true, disabled_until: null } },
        });
      }
      const lifted = rows.map(({ id }) => id);
      await announce(USERS_TOPIC, lifted);
      return lifted;
    });
  }

  onApplicationBootstrap(): void {
    this.stopLiftingBans = runPeriodically(
      'lifting ended bans',
      LIFT_BANS_EVERY_MS,
      () => this.liftEndedBans(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopLiftingBans?.();
  }

  /**
   * Every instance drops the user from its cache, once (and only if) the update commits.
   * `precondition`, if given, runs first in the transaction; false: nothing is updated.
   * `event` goes to the webhook outbox in the same transaction, if a row changed.
   */
  private updateAndAnnounce(
    id: string,
    criteria: FindOptionsWhere<User>,
    changes: QueryDeepPartialEntity<User>,
    precondition?: (manager: EntityManager) => Promise<boolean>,
    event?: WebhookEventInput,
  ): Promise<number> {
    return this.feed.transaction(async (manager, announce) => {
      if (precondition && !(await precondition(manager))) return 0;
      const result = await manager.update(User, criteria, changes);
      const affected = result.affected ?? 0;
      if (event && affected > 0) this.outbox.record(manager, event);
      await announce(USERS_TOPIC, [id]);
      return affected;
    });
  }

  private forget(...ids: string[]): void {
    this.cache.evict(...ids);
  }

  /** Exact match, ignoring case, on the email or the username: never a pattern (LIKE). */
  findByLogin(usernameOrEmail: string): Promise<User | null> {
    const key = loginLookupKey(usernameOrEmail);
    return this.users.findOne({ where: [{ email: key }, { usernameNormalized: key }] });
  }

  /**
   * As findByLogin, and the one query that loads the password hash (a `select: false` column).
   */
  async findByLoginWithPasswordHash(usernameOrEmail: string): Promise<User | null> {
    const key = loginLookupKey(usernameOrEmail);
    const user = await this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :key OR user.usernameNormalized = :key', { key })
      .getOne();
    // A ban that has ended lifts at the login attempt that finds it ended (issue #19).
    if (user && !user.isActive && user.disabledUntil && user.disabledUntil <= new Date()) {
      if ((await this.liftEndedBans([user.id])).length > 0) {
        user.isActive = true;
        user.disabledUntil = null;
      }
    }
    return user;
  }
}

/** The columns an administrator's change wrote, by the API's names, for `user.updated`. */
function reported(columns: QueryDeepPartialEntity<User>): UserFieldChanges {
  const changes: UserFieldChanges = {};
  if (typeof columns.email === 'string') changes.email = columns.email;
  if (typeof columns.username === 'string') changes.username = columns.username;
  if (typeof columns.emailVerified === 'boolean') changes.email_verified = columns.emailVerified;
  if (typeof columns.isActive === 'boolean') changes.is_active = columns.isActive;
  if (columns.disabledUntil !== undefined) {
    changes.disabled_until =
      columns.disabledUntil instanceof Date ? columns.disabledUntil.toISOString() : null;
  }
  return changes;
}

/** The fields of `changes` whose value differs from `current`'s. */
function withoutUnchanged(changes: UserFieldChanges, current: UserFieldChanges): UserFieldChanges {
  return Object.fromEntries(
    Object.entries(changes).filter(
      ([key, value]) => current[key as keyof UserFieldChanges] !== value,
    ),
  );
}

function takenBy(error: unknown): TakenBy | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string };
  if (driverError.code !== '23505' || !driverError.constraint) return undefined;
  return TAKEN_BY_CONSTRAINT[driverError.constraint];
}
