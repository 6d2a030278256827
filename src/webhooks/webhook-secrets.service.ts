import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import type { Configuration } from '../config/configuration.js';
import { StartupRefusalError } from '../config/startup-refusal.js';
import { SecretCipher } from '../platform/crypto/secret-cipher.js';
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

  constructor(
    private readonly dataSource: DataSource,
    config: ConfigService<Configuration, true>,
  ) {
    const { encryptionKey, previousEncryptionKeys } = config.get('signingKeys', { infer: true });
    this.cipher = new SecretCipher(
      encryptionKey,
      previousEncryptionKeys,
      'SIGNING_KEY_ENCRYPTION_KEY',
    );
    this.production = config.get('app', { infer: true }).environment === 'production';
  }

  /** A 503, not a 500, where no key seals: production without SIGNING_KEY_ENCRYPTION_KEY. */
  seal(endpointId: string, secret: string): StoredSecret {
    if (this.cipher.currentKeyId === null) throw new WebhookSecretsUnavailableError();
    const sealed = this.cipher.seal(Buffer.from(secret, 'utf8'), endpointId);
    return { secret: sealed.ciphertext, keyId: sealed.keyId };
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
   * old key that cannot read a resealed secret only fails a delivery, which is retried.
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
    await this.dataSource.transaction((manager) => this.resealAll(manager));
  }

  private async resealAll(manager: EntityManager): Promise<void> {
    const rows = await manager.query<EndpointSecretsRow[]>(
      `SELECT id, secret, secret_key_id, previous_secret, previous_secret_key_id
       FROM webhook_endpoints
       WHERE secret_key_id IS DISTINCT FROM $1
          OR (previous_secret IS NOT NULL AND previous_secret_key_id IS DISTINCT FROM $1)
       FOR UPDATE`,
      [this.cipher.currentKeyId],
    );
    let unreadable = 0;
    for (const row of rows) {
      try {
        const current = this.reseal(row.id, { secret: row.secret, keyId: row.secret_key_id });
        const previous =
          row.previous_secret === null
            ? { secret: null, keyId: null }
            : this.reseal(row.id, {
                secret: row.previous_secret,
                keyId: row.previous_secret_key_id,
              });
        await manager.query(
          `UPDATE webhook_endpoints SET secret = $2, secret_key_id = $3,
             previous_secret = $4, previous_secret_key_id = $5 WHERE id = $1`,
          [row.id, current.secret, current.keyId, previous.secret, previous.keyId],
        );
      } catch {
        unreadable += 1;
      }
    }
    if (unreadable > 0) {
      // Their deliveries fail and are retried until the key that sealed them is configured.
      this.logger.warn({
        msg: 'webhook secrets sealed with a key that is not configured (SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS)',
        endpoints: unreadable,
      });
    }
  }

  private reseal(endpointId: string, stored: StoredSecret): StoredSecret {
    if (stored.keyId === this.cipher.currentKeyId) return stored;
    return this.seal(endpointId, this.open(endpointId, stored));
  }
}
