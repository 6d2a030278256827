import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type EntityManager, type Repository } from 'typeorm';
import type { ClientInfo } from '../common/http/client-address.js';
import { runPeriodically } from '../platform/periodic-task.js';
import type { Configuration } from '../config/configuration.js';
import { SecurityEvent, type SecurityEventType } from './entities/security-event.entity.js';

export interface SecurityEventInput {
  type: SecurityEventType;
  userId?: string | null;
  reason?: string;
  /**
   * Who made the request that caused it. Only its id, when an administrator acted and their
   * identity is not to be shown: their address and browser would tell it.
   */
  client: { requestId: string | null } & Partial<Omit<ClientInfo, 'requestId'>>;
  /** The administrator who acted, when their identity is to be shown to the user. */
  administrator?: string | null;
}

export interface SecurityEventPage {
  events: SecurityEvent[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class SecurityEventsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SecurityEventsService.name);
  private readonly retentionMs: number;
  private stopPruning?: () => void;

  constructor(
    @InjectRepository(SecurityEvent) private readonly events: Repository<SecurityEvent>,
    config: ConfigService<Configuration, true>,
  ) {
    this.retentionMs = config.get('securityEvents', { infer: true }).retentionDays * DAY_MS;
  }

  /**
   * Records an event with its request's address, User-Agent and id. Never throws: a lost
   * event is logged (the log is the second record), the request goes on. Given the caller's
   * transaction (an administrator's action), it is written there and fails with it instead:
   * the action and what its target is told of it commit together or not at all.
   */
  async record(input: SecurityEventInput, manager?: EntityManager): Promise<void> {
    const { type, userId = null, reason, client } = input;
    const event = {
      type,
      userId,
      reason: reason ?? null,
      ipAddress: client.ipAddress ?? null,
      userAgent: client.userAgent ?? null,
      requestId: client.requestId,
      administrator: input.administrator ?? null,
    };
    if (manager) {
      await manager.insert(SecurityEvent, event);
      return;
    }
    try {
      await this.events.insert(event);
    } catch (error) {
      this.logger.warn({
        msg: 'could not record a security event',
        event: { type, user_id: userId, reason },
        request_id: client.requestId,
        err: error,
      });
    }
  }

  /** Newest first; `cursor` is the last id of the previous page. */
  async listForUser(userId: string, limit: number, cursor?: string): Promise<SecurityEventPage> {
    const events = await this.events.find({
      where: { userId, ...(cursor === undefined ? {} : { id: LessThan(cursor) }) },
      order: { id: 'DESC' },
      take: limit + 1,
    });
    const page = events.slice(0, limit);
    return { events: page, nextCursor: events.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  async pruneOlderThanRetention(now = new Date()): Promise<number> {
    const result = await this.events.delete({
      createdAt: LessThan(new Date(now.getTime() - this.retentionMs)),
    });
    return result.affected ?? 0;
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning security events',
      PRUNE_EVERY_MS,
      () => this.pruneOlderThanRetention(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
  }
}
