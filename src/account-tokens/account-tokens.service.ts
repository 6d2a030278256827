import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, MoreThan, type EntityManager, type Repository } from 'typeorm';
import { runPeriodically } from '../platform/periodic-task.js';
import { AccountToken, type AccountTokenPurpose } from './entities/account-token.entity.js';
import { MAIL_LINKS_VOIDED_BY, type MailLinkVoidingAction } from './mail-link-voiding.js';

export interface NewAccountToken {
  userId: string;
  purpose: AccountTokenPurpose;
  /** The address the token is mailed to. */
  email: string;
  ttlSeconds: number;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;

const CONSUME = `
UPDATE account_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > now()
RETURNING id, user_id, purpose, email`;

interface ConsumedRow {
  id: string;
  user_id: string;
  purpose: AccountTokenPurpose;
  email: string;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Single-use tokens for links in mail: 256 random bits, URL-safe, stored only as a hash,
 * found by that hash (a unique index lookup, so nothing is compared character by character).
 */
@Injectable()
export class AccountTokensService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AccountTokensService.name);
  private stopPruning?: () => void;

  constructor(@InjectRepository(AccountToken) private readonly tokens: Repository<AccountToken>) {}

  /**
   * Issues a token and voids the user's unused ones of the same purpose: the newest wins.
   * Given a transaction (an administrator's action and its audit entry), it is issued there.
   */
  async issue(
    { userId, purpose, email, ttlSeconds }: NewAccountToken,
    within?: EntityManager,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const run = (work: (manager: EntityManager) => Promise<void>) =>
      within ? work(within) : this.tokens.manager.transaction(work);
    await run(async (manager) => {
      await manager.update(
        AccountToken,
        { userId, purpose, usedAt: IsNull() },
        { usedAt: new Date() },
      );
      await manager.insert(AccountToken, {
        id: randomUUID(),
        userId,
        purpose,
        email,
        tokenHash: hashToken(token),
        expiresAt: new Date(Date.now() + ttlSeconds * 1000),
        usedAt: null,
      });
    });
    return token;
  }

  /** The token if it could be used now, without using it (to check a request first). */
  findUsable(token: string, purposes: AccountTokenPurpose[]): Promise<AccountToken | null> {
    return this.tokens.findOneBy({
      tokenHash: hashToken(token),
      purpose: In(purposes),
      usedAt: IsNull(),
      expiresAt: MoreThan(new Date()),
    });
  }

  /**
   * Uses the token up if it is unused, unexpired and of one of the purposes; one statement,
   * so of two concurrent uses exactly one succeeds. Undefined for anything else. Within
   * `manager`'s transaction when given, so that what the token was for can roll it back.
   */
  async consume(
    token: string,
    purposes: AccountTokenPurpose[],
    manager: EntityManager = this.tokens.manager,
  ): Promise<AccountToken | undefined> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [rows] = await manager.query<[ConsumedRow[], number]>(CONSUME, [
      hashToken(token),
      purposes,
    ]);
    const [row] = rows;
    if (!row) return undefined;
    return Object.assign(new AccountToken(), {
      id: row.id,
      userId: row.user_id,
      purpose: row.purpose,
      email: row.email,
    });
  }

  /**
   * Voids the user's unused links that `action` voids (MAIL_LINKS_VOIDED_BY), within
   * `manager`'s transaction when given.
   */
  async voidFor(
    userId: string,
    action: MailLinkVoidingAction,
    manager: EntityManager = this.tokens.manager,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(AccountToken)
      .set({ usedAt: () => 'now()' })
      .where('user_id = :userId', { userId })
      .andWhere('purpose IN (:...purposes)', { purposes: MAIL_LINKS_VOIDED_BY[action].voids })
      .andWhere('used_at IS NULL')
      .execute();
  }

  /** Tokens used or expired more than a day ago are of no further use, even for support. */
  async pruneSpent(): Promise<number> {
    const result = await this.tokens
      .createQueryBuilder()
      .delete()
      .where(`expires_at < now() - interval '1 day'`)
      .orWhere(`used_at < now() - interval '1 day'`)
      .execute();
    return result.affected ?? 0;
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning account tokens',
      PRUNE_EVERY_MS,
      () => this.pruneSpent(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
  }
}
