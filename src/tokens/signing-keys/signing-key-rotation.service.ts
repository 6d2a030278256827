import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, type EntityManager, type Repository } from 'typeorm';
import { AuditService, type AuditActor } from '../../audit/audit.service.js';
import type { ClientInfo } from '../../common/http/client-address.js';
import type { Configuration } from '../../config/configuration.js';
import { StartupRefusalError } from '../../config/startup-refusal.js';
import {
  ChangeFeedService,
  type Announce,
} from '../../platform/change-feed/change-feed.service.js';
import { COMMAND_LINE } from '../../platform/command-line/command-line.module.js';
import { developmentKeyRefused } from '../../platform/crypto/encryption-keys.js';
import { SecretCipher } from '../../platform/crypto/secret-cipher.js';
import { runPeriodically } from '../../platform/periodic-task.js';
import { CLOCK_SKEW_SECONDS } from '../access-token.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { generateKeyMaterial } from './signing-key-material.js';
import {
  keysDueForRetirement,
  pendingKeys,
  rotationDue,
  signingKeyAt,
  type ScheduledKey,
} from './signing-key-schedule.js';
import type { SigningKeysConfig } from './signing-keys.config.js';
import {
  AsymmetricSigningOffError,
  DevelopmentKeyRefusedError,
  RotationPendingError,
  SigningKeyInUseError,
  SigningKeyNotFoundError,
  SigningUnavailableError,
} from './signing-keys.errors.js';
import { SIGNING_KEYS_TOPIC, SigningKeysService } from './signing-keys.service.js';
import { viewOf, type SigningKeyState, type SigningKeyView } from './signing-key-view.js';

/** Who asked: an administrator, the command line, or the service itself (`system`). */
export interface KeyActor extends AuditActor {
  client?: ClientInfo;
}

const SYSTEM: KeyActor = { userId: null, label: 'system' };
/** Two instances starting together create one first key, not two (issue #22). */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('whazz-auth:signing-keys'))`;
/** How often each instance checks whether a key is due to be published or retired. */
const HOUSEKEEPING_MS = 15_000;

interface Lifetimes {
  tokenTtlSeconds: number;
}

/**
 * Publishing, activating and retiring signing keys (issue #22): at the first start, by hand
 * (`npm run keys`, /admin/keys) and on schedule. Every change takes one advisory lock, rereads
 * the rows inside it, is audited in its transaction and announced on the change feed.
 */
@Injectable()
export class SigningKeyRotationService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(SigningKeyRotationService.name);
  private readonly settings: SigningKeysConfig;
  private readonly lifetimes: Lifetimes;
  private readonly cipher: SecretCipher;
  private stopHousekeeping?: () => void;

  constructor(
    @InjectRepository(SigningKey) private readonly rows: Repository<SigningKey>,
    private readonly keys: SigningKeysService,
    private readonly feed: ChangeFeedService,
    private readonly audit: AuditService,
    config: ConfigService<Configuration, true>,
    @Optional() @Inject(COMMAND_LINE) private readonly commandLine = false,
  ) {
    this.settings = config.get('signingKeys', { infer: true });
    this.lifetimes = {
      tokenTtlSeconds: config.get('tokens', { infer: true }).accessTokenTtlSeconds,
    };
    const { encryptionKey, previousEncryptionKeys } = this.settings;
    this.cipher = new SecretCipher(
      encryptionKey,
      previousEncryptionKeys,
      'SIGNING_KEY_ENCRYPTION_KEY',
    );
  }

  /**
   * Before the app serves: a key signs (the first start creates it), and memory holds it. The
   * command line only reads: its shell may hold another algorithm or no key-encryption key.
   */
  async onModuleInit(): Promise<void> {
    if (!this.commandLine) await this.keepSchedule(SYSTEM);
    await this.keys.reload();
    if (!this.commandLine && this.settings.algorithm !== 'HS256') await this.refuseIfUnableToSign();
  }

  /** Fail fast: an instance that could not sign would answer every login with a 503. */
  private async refuseIfUnableToSign(): Promise<void> {
    try {
      await this.keys.signingKey();
    } catch (error) {
      if (!(error instanceof SigningUnavailableError)) throw error;
      throw new StartupRefusalError([
        'SIGNING_KEY_ENCRYPTION_KEY: the signing key does not open with it nor with SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS; set the key it was sealed with (docs/security.md, signing keys)',
      ]);
    }
  }

  onApplicationBootstrap(): void {
    if (this.commandLine) return;
    this.stopHousekeeping = runPeriodically(
      'signing key housekeeping',
      HOUSEKEEPING_MS,
      () => this.keepScheduleIfDue(),
      this.logger,
    );
  }

  onModuleDestroy(): void {
    this.stopHousekeeping?.();
  }

  /** Every key ever published, newest first, with its state now. */
  async list(): Promise<SigningKeyView[]> {
    const rows = await this.rows.find({ order: { publishedAt: 'DESC', kid: 'ASC' } });
    return rows.map((row) => viewOf(row, rows, Date.now()));
  }

  /** Publishes a new key; it signs once SIGNING_KEY_ACTIVATION_DELAY_SECONDS have passed. */
  async rotate(actor: KeyActor): Promise<SigningKeyView> {
    if (this.settings.algorithm === 'HS256') throw new AsymmetricSigningOffError();
    const view = await this.locked(async (manager, announce, rows, now) => {
      if (pendingKeys(rows, now).length > 0) throw new RotationPendingError();
      const first = !signingKeyAt(rows, now);
      return this.publish(
        manager,
        announce,
        actor,
        now,
        first ? this.atOnce(now) : now + this.delayMs(),
      );
    });
    await this.keys.reload();
    return view;
  }

  /**
   * Withdraws a key from the JWKS: tokens it signed are refused from now on, here and
   * everywhere (a key thought compromised). The key that signs now cannot be retired.
   */
  async retire(actor: KeyActor, kid: string): Promise<SigningKeyView> {
    const view = await this.locked(async (manager, announce, rows, now) => {
      const key = rows.find((row) => row.kid === kid);
      if (!key) throw new SigningKeyNotFoundError();
      if (signingKeyAt(rows, now) === key) throw new SigningKeyInUseError();
      return this.retireWithin(manager, announce, actor, key, rows, now);
    });
    await this.keys.reload();
    return view;
  }

  /** Skips the transaction while memory shows nothing due (the usual case). */
  private async keepScheduleIfDue(): Promise<void> {
    if (this.scheduleDue(this.keys.published, Date.now())) await this.keepSchedule(SYSTEM);
  }

  private scheduleDue(rows: readonly ScheduledKey[], now: number): boolean {
    const asymmetric = this.settings.algorithm !== 'HS256';
    const { tokenTtlSeconds } = this.lifetimes;
    return (
      (asymmetric && !signingKeyAt(rows, now)) ||
      (asymmetric &&
        rotationDue(rows, now, this.settings.algorithm, this.settings.rotationIntervalSeconds)) ||
      keysDueForRetirement(rows, now, tokenTtlSeconds).length > 0
    );
  }

  /**
   * The first key (active at once: nothing verified our tokens with keys before), a rotation
   * when the interval passed or JWT_SIGNING_ALGORITHM changed, and the retirement of keys
   * whose every token has expired.
   */
  private async keepSchedule(actor: KeyActor): Promise<void> {
    const changed = await this.locked(async (manager, announce, rows, now) => {
      if (!this.scheduleDue(rows, now)) return false;
      const asymmetric = this.settings.algorithm !== 'HS256';
      if (asymmetric && !signingKeyAt(rows, now)) {
        await this.publish(manager, announce, actor, now, this.atOnce(now));
      } else if (
        asymmetric &&
        rotationDue(rows, now, this.settings.algorithm, this.settings.rotationIntervalSeconds)
      ) {
        await this.publish(manager, announce, actor, now, now + this.delayMs());
      }
      for (const key of keysDueForRetirement(rows, now, this.lifetimes.tokenTtlSeconds)) {
        await this.retireWithin(manager, announce, actor, key, rows, now);
      }
      return true;
    });
    if (changed) await this.keys.reload();
  }

  private delayMs(): number {
    return this.settings.activationDelaySeconds * 1000;
  }

  /** A key that signs at once does so on an instance whose clock is a little behind too. */
  private atOnce(now: number): number {
    return now - CLOCK_SKEW_SECONDS * 1000;
  }

  /**
   * Runs `change` under the lock, on the keys not retired as the database has them, at the
   * database's time: every instance schedules on one clock, not on its own.
   */
  private locked<T>(
    change: (
      manager: EntityManager,
      announce: Announce,
      rows: SigningKey[],
      now: number,
    ) => Promise<T>,
  ): Promise<T> {
    return this.feed.transaction(async (manager, announce) => {
      await manager.query(LOCK);
      const rows = await manager.find(SigningKey, { where: { retiredAt: IsNull() } });
      const [{ now }] = await manager.query<[{ now: Date }]>('SELECT clock_timestamp() AS now');
      return change(manager, announce, rows, new Date(now).getTime());
    });
  }

  private async publish(
    manager: EntityManager,
    announce: Announce,
    actor: KeyActor,
    now: number,
    activeFrom: number,
  ): Promise<SigningKeyView> {
    if (this.settings.algorithm === 'HS256') throw new AsymmetricSigningOffError();
    await this.refuseDevelopmentKeyOver(manager);
    const material = await generateKeyMaterial(this.settings.algorithm);
    const sealed = this.cipher.seal(material.privateKey, material.kid);
    material.privateKey.fill(0);
    const row: SigningKey = {
      kid: material.kid,
      algorithm: material.algorithm,
      publicJwk: material.publicJwk,
      privateKeyCiphertext: sealed.ciphertext,
      encryptionKeyId: sealed.keyId,
      publishedAt: new Date(now),
      activeFrom: new Date(activeFrom),
      retiredAt: null,
    };
    await manager.insert(SigningKey, row);
    await this.record(manager, actor, 'signing_key.published', row, null);
    await announce(SIGNING_KEYS_TOPIC, [row.kid]);
    this.logger.log(
      `published signing key ${row.kid} (${row.algorithm}), signing from ${row.activeFrom.toISOString()}`,
    );
    return viewOf(row, [row], Date.now());
  }

  /**
   * The published development key seals only where nothing else ever did: a shell or an
   * instance that lacks SIGNING_KEY_ENCRYPTION_KEY must not put a readable private key beside
   * keys sealed with a real one.
   */
  private async refuseDevelopmentKeyOver(manager: EntityManager): Promise<void> {
    const refused = await developmentKeyRefused(this.settings, (keyId) =>
      manager.exists(SigningKey, { where: { encryptionKeyId: Not(keyId) } }),
    );
    if (refused) throw new DevelopmentKeyRefusedError();
  }

  private async retireWithin(
    manager: EntityManager,
    announce: Announce,
    actor: KeyActor,
    key: SigningKey,
    rows: readonly SigningKey[],
    now: number,
  ): Promise<SigningKeyView> {
    const before = viewOf(key, rows, now);
    key.retiredAt = new Date(now);
    await manager.update(SigningKey, { kid: key.kid }, { retiredAt: key.retiredAt });
    await this.record(manager, actor, 'signing_key.retired', key, before.state);
    await announce(SIGNING_KEYS_TOPIC, [key.kid]);
    this.logger.log(`retired signing key ${key.kid}`);
    return viewOf(key, rows, now);
  }

  private record(
    manager: EntityManager,
    actor: KeyActor,
    action: 'signing_key.published' | 'signing_key.retired',
    key: SigningKey,
    stateBefore: SigningKeyState | null,
  ): Promise<void> {
    return this.audit.record(
      {
        actor: { userId: actor.userId, label: actor.label },
        action,
        target: { type: 'signing_key', id: key.kid },
        before: stateBefore ? { state: stateBefore } : null,
        after: {
          algorithm: key.algorithm,
          active_from: key.activeFrom.toISOString(),
          retired_at: key.retiredAt?.toISOString() ?? null,
        },
        client: actor.client,
      },
      manager,
    );
  }
}
