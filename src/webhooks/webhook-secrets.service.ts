import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { StartupRefusalError } from '../config/startup-refusal.js';
import { developmentKeyRefused } from '../platform/crypto/encryption-keys.js';
import { SecretCipher } from '../platform/crypto/secret-cipher.js';
import type { SigningKeysConfig } from '../tokens/signing-keys/signing-keys.config.js';
import { WebhookSecretsUnavailableError } from './webhooks.errors.js';

/** A secret as its columns hold it: sealed under `keyId`, or in clear when `keyId` is null. */
export interface StoredSecret {
  secret: string;
  keyId: string | null;
}

interface EndpointSecretsRow {
  id: string;
  secret: string;
  secret_key_id: string | null;
  previous_secret: string | null;
  previous_secret_key_id: string | null;
  overlapping: boolean;
}

/** What one endpoint's reseal at start came to. */
type ResealResult = 'resealed' | 'unchanged' | 'keyMissing' | 'failed';

/** Standard Webhooks secrets: `whsec_` and base64 of 24 to 64 random bytes; 32 here. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Endpoint secrets at rest (issue #22), sealed with AES-256-GCM (the endpoint id as additional
 * data) under SIGNING_KEY_ENCRYPTION_KEY: the key that already guards what other services trust
 * from this one (the private signing keys), with its rotation (…_PREVIOUS_ENCRYPTION_KEYS), so
 * no third key to provision. Production without it may not hold endpoints.
 */
@Injectable()
export class WebhookSecretsService implements OnModuleInit {
  private readonly logger = new Logger(WebhookSecretsService.name);
  private readonly cipher: SecretCipher;
  private readonly production: boolean;
  private readonly keys: SigningKeysConfig;

  constructor(
    private readonly dataSource: DataSource,
    config: ConfigService<Configuration, true>,
  ) {
    this.keys = config.get('signingKeys', { infer: true });
    const { encryptionKey, previousEncryptionKeys } = this.keys;
    this.cipher = new SecretCipher(
      encryptionKey,
      previousEncryptionKeys,
      'SIGNING_KEY_ENCRYPTION_KEY',
    );
    this.production = config.get('app', { infer: true }).environment === 'production';
  }

  /**
   * A 503, not a 500, where no key seals: production without SIGNING_KEY_ENCRYPTION_KEY, or an
   * instance on the published development key while secrets are sealed under a real one.
   */
  async seal(manager: EntityManager, endpointId: string, secret: string): Promise<StoredSecret> {
    if (this.cipher.currentKeyId === null || (await this.developmentKeyRefused(manager))) {
      throw new WebhookSecretsUnavailableError();
    }
    return this.sealNow(endpointId, secret);
  }

  private sealNow(endpointId: string, secret: string): StoredSecret {
    const sealed = this.cipher.seal(Buffer.from(secret, 'utf8'), endpointId);
    return { secret: sealed.ciphertext, keyId: sealed.keyId };
  }

  private developmentKeyRefused(manager: EntityManager): Promise<boolean> {
    return developmentKeyRefused(this.keys, async (keyId) => {
      const [row] = await manager.query<{ sealed: boolean }[]>(
        `SELECT EXISTS (SELECT 1 FROM webhook_endpoints
           WHERE secret_key_id <> $1 OR previous_secret_key_id <> $1) AS sealed`,
        [keyId],
      );
      return row?.sealed ?? false;
    });
  }

  /** Throws when the key that sealed it is not configured or the ciphertext does not open. */
  open(endpointId: string, { secret, keyId }: StoredSecret): string {
    if (keyId === null) return secret;
    return this.cipher.open({ ciphertext: secret, keyId }, endpointId).toString('utf8');
  }

  /** The secrets deliveries are signed with now: the current one, and the previous in its overlap. */
  async signingSecrets(endpointId: string): Promise<string[]> {
    const [row] = await this.dataSource.query<EndpointSecretsRow[]>(
      `SELECT id, secret, secret_key_id, previous_secret, previous_secret_key_id,
              coalesce(previous_secret_expires_at > now(), false) AS overlapping
       FROM webhook_endpoints WHERE id = $1`,
      [endpointId],
    );
    if (!row) return [];
    const current = this.open(row.id, { secret: row.secret, keyId: row.secret_key_id });
    if (!row.overlapping || row.previous_secret === null) return [current];
    return [
      current,
      this.open(row.id, { secret: row.previous_secret, keyId: row.previous_secret_key_id }),
    ];
  }

  /**
   * At start: production without a key refuses once an endpoint exists (its secrets could be
   * neither read nor stored). Otherwise secrets still in clear (written before sealing) and
   * those under a previous key are sealed under the current one. At start rather than in the
   * migration, which has no key; and rather than by a command, because an instance still on the
   * old key that cannot read a resealed secret only postpones a delivery. Never onto the
   * published development key while secrets are sealed under a real one.
   */
  async onModuleInit(): Promise<void> {
    if (this.cipher.currentKeyId === null) {
      const [row] = await this.dataSource.query<{ any: boolean }[]>(
        `SELECT EXISTS (SELECT 1 FROM webhook_endpoints) AS any`,
      );
      if (this.production && row?.any) {
        throw new StartupRefusalError([
          'SIGNING_KEY_ENCRYPTION_KEY: must be set: webhook endpoints exist, and their secrets cannot be read or stored without it',
        ]);
      }
      return;
    }
    if (await this.developmentKeyRefused(this.dataSource.manager)) {
      this.logger.warn({
        msg: 'webhook secrets are sealed under a SIGNING_KEY_ENCRYPTION_KEY not set here: none is sealed or resealed under the published development key',
      });
      return;
    }
    await this.resealAll();
  }

  /** One endpoint at a time, each in its own transaction: one that fails stops no other. */
  private async resealAll(): Promise<void> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM webhook_endpoints WHERE ${NOT_UNDER_CURRENT_KEY} ORDER BY id`,
      [this.cipher.currentKeyId],
    );
    const results: Record<ResealResult, number> = {
      resealed: 0,
      unchanged: 0,
      keyMissing: 0,
      failed: 0,
    };
    for (const { id } of rows) results[await this.resealOne(id)] += 1;
    if (results.resealed > 0) {
      this.logger.log({
        msg: 'webhook secrets sealed under the current key',
        endpoints: results.resealed,
      });
    }
    if (results.keyMissing > 0 || results.failed > 0) {
      // Their deliveries wait (uncounted) until the key is configured; the next start retries.
      this.logger.warn({
        msg: 'webhook secrets left as they were: a key not configured (SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS), or a database error',
        key_missing: results.keyMissing,
        database_errors: results.failed,
      });
    }
  }

  private async resealOne(id: string): Promise<ResealResult> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const [row] = await manager.query<EndpointSecretsRow[]>(
          `SELECT id, secret, secret_key_id, previous_secret, previous_secret_key_id
           FROM webhook_endpoints WHERE id = $2 AND (${NOT_UNDER_CURRENT_KEY}) FOR UPDATE`,
          [this.cipher.currentKeyId, id],
        );
        // Resealed meanwhile by another instance starting, or deleted.
        if (!row) return 'unchanged';
        const resealed = this.resealed(row);
        if (!resealed) return 'keyMissing';
        await manager.query(
          `UPDATE webhook_endpoints SET secret = $2, secret_key_id = $3,
             previous_secret = $4, previous_secret_key_id = $5 WHERE id = $1`,
          [id, ...resealed],
        );
        return 'resealed';
      });
    } catch (error) {
      this.logger.error({ msg: 'webhook secret not resealed', endpoint_id: id, err: error });
      return 'failed';
    }
  }

  /** The new column values, or undefined when a secret does not open (its key not configured). */
  private resealed(row: EndpointSecretsRow): (string | null)[] | undefined {
    try {
      const current = this.reseal(row.id, { secret: row.secret, keyId: row.secret_key_id });
      const previous =
        row.previous_secret === null
          ? { secret: null, keyId: null }
          : this.reseal(row.id, { secret: row.previous_secret, keyId: row.previous_secret_key_id });
      return [current.secret, current.keyId, previous.secret, previous.keyId];
    } catch (error) {
      this.logger.warn({
        msg: 'webhook secret does not open: left as it is',
        endpoint_id: row.id,
        reason: error instanceof Error ? error.message : 'unknown',
      });
      return undefined;
    }
  }

  private reseal(endpointId: string, stored: StoredSecret): StoredSecret {
    if (stored.keyId === this.cipher.currentKeyId) return stored;
    return this.sealNow(endpointId, this.open(endpointId, stored));
  }
}

/** `$1` is the current key's id. */
const NOT_UNDER_CURRENT_KEY = `secret_key_id IS DISTINCT FROM $1
  OR (previous_secret IS NOT NULL AND previous_secret_key_id IS DISTINCT FROM $1)`;
