import { randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Not, type EntityManager, type Repository } from 'typeorm';
import type { ClientInfo } from '../common/http/client-address.js';
import type { Configuration } from '../config/configuration.js';
import { runPeriodically } from '../platform/periodic-task.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { generateDeviceToken, hashDeviceToken } from './device-token.js';
import { KnownDevice } from './entities/known-device.entity.js';

/** What a session records of its client; a request's ClientInfo fits. */
export interface DeviceClient {
  userAgent: string | null;
  ipAddress: string | null;
}

/** The device a login finished on, and the token it answers (the same one, if it presented it). */
export interface DeviceOfLogin {
  id: string;
  token: string;
}

/** Which of the user's devices `forgetWithin` forgets. */
export type DevicesToForget = { only: string } | { allBut: string | null };

const DAY_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Known devices (issue #20). Below sessions: a session records the device it started on, and
 * SessionsService forgets devices when it revokes for a reason that calls for it.
 *
 * A device token is never rotated: it grants nothing alone (a login still needs the password),
 * and a rotated token lost with a dropped response would cost the owner the exemption from
 * backoff exactly while someone is spending the account's budget.
 */
@Injectable()
export class DevicesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DevicesService.name);
  private readonly ttlMs: number;
  private stopPruning?: () => void;

  constructor(
    @InjectRepository(KnownDevice) private readonly devices: Repository<KnownDevice>,
    private readonly events: SecurityEventsService,
    config: ConfigService<Configuration, true>,
  ) {
    this.ttlMs = config.get('devices', { infer: true }).deviceTokenTtlSeconds * 1000;
  }

  /**
   * The id of the device `token` names, if it is known for the account `usernameOrEmail`
   * names; null for an unknown, expired or other account's token, all with one query.
   */
  async recognise(usernameOrEmail: string, token: string): Promise<string | null> {
    const key = loginLookupKey(usernameOrEmail);
    const device = await this.devices
      .createQueryBuilder('device')
      .select('device.id')
      .innerJoin('device.user', 'user')
      .where('device.tokenHash = :hash', { hash: hashDeviceToken(token) })
      .andWhere('device.expiresAt > now()')
      .andWhere('(user.email = :key OR user.usernameNormalized = :key)', { key })
      .getOne();
    return device?.id ?? null;
  }

  /**
   * For a login that has succeeded: the device it presented, if known for this user (its use
   * recorded, its expiry slid), else a new one. A token of another account counts as none.
   */
  async keepOrIssue(
    userId: string,
    presented: string | undefined,
    client: DeviceClient,
  ): Promise<DeviceOfLogin> {
    const now = new Date();
    const seen = {
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.ttlMs),
      userAgent: client.userAgent,
      ipAddress: client.ipAddress,
    };
    if (presented) {
      const result = await this.devices
        .createQueryBuilder()
        .update()
        .set(seen)
        .where({ tokenHash: hashDeviceToken(presented), userId, expiresAt: MoreThan(now) })
        .returning(['id'])
        .execute();
      const [known] = result.raw as { id: string }[];
      if (known) return { id: known.id, token: presented };
    }
    const token = generateDeviceToken();
    const id = randomUUID();
    await this.devices.insert({
      id,
      userId,
      tokenHash: hashDeviceToken(token),
      createdAt: now,
      rememberedUntil: null,
      ...seen,
    });
    return { id, token };
  }

  /** The user's known devices, most recently used first. */
  listForOwner(userId: string): Promise<KnownDevice[]> {
    return this.devices.find({
      where: { userId, expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC' },
    });
  }

  /** In the caller's transaction (a session revocation): the ids forgotten. */
  async forgetWithin(
    manager: EntityManager,
    userId: string,
    which: DevicesToForget,
  ): Promise<string[]> {
    const criteria =
      'only' in which
        ? { userId, id: which.only }
        : which.allBut
          ? { userId, id: Not(which.allBut) }
          : { userId };
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(KnownDevice)
      .where(criteria)
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[]).map(({ id }) => id);
  }

  /**
   * In the caller's transaction (a second factor turned off or on): no device skips the
   * second step any more until it is remembered again; the devices stay known.
   */
  async forgetRememberedWithin(manager: EntityManager, userId: string): Promise<void> {
    await manager.update(
      KnownDevice,
      { userId, rememberedUntil: Not(IsNull()) },
      { rememberedUntil: null },
    );
  }

  /** For the second factor (issue #20): true while the user chose to remember this device. */
  isRemembered(userId: string, deviceToken: string): Promise<boolean> {
    const now = new Date();
    return this.devices.existsBy({
      tokenHash: hashDeviceToken(deviceToken),
      userId,
      expiresAt: MoreThan(now),
      rememberedUntil: MoreThan(now),
    });
  }

  /**
   * "Remember this device for 30 days", opted into when a second factor is verified: false if
   * the token is not a known device of this user. Never past the device's own expiry.
   */
  async remember(
    userId: string,
    deviceToken: string,
    days = 30,
    client?: ClientInfo,
  ): Promise<boolean> {
    const now = new Date();
    const result = await this.devices.update(
      { tokenHash: hashDeviceToken(deviceToken), userId, expiresAt: MoreThan(now) },
      { rememberedUntil: new Date(now.getTime() + days * DAY_MS) },
    );
    if (!result.affected) return false;
    await this.events.record({
      type: 'device_remembered',
      userId,
      client: client ?? { requestId: null },
    });
    return true;
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning known devices',
      PRUNE_EVERY_MS,
      () => this.pruneExpired(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
  }

  /** Expired devices: their tokens are refused anyway. Their sessions' link empties. */
  async pruneExpired(now = new Date()): Promise<number> {
    const result = await this.devices.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
