import type { KeyObject } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import type { JWK } from 'jose';
import { In, IsNull, type Repository } from 'typeorm';
import type { Configuration } from '../../config/configuration.js';
import { ChangeFeedService } from '../../platform/change-feed/change-feed.service.js';
import { SecretCipher } from '../../platform/crypto/secret-cipher.js';
import type { OpenIdConfigurationResponseDto } from './dto/openid-configuration-response.dto.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { privateKeyOf, publicKeyOf, publishedJwk } from './signing-key-material.js';
import { signingKeyAt, type ScheduledKey } from './signing-key-schedule.js';
import type { AsymmetricAlgorithm, SigningKeysConfig } from './signing-keys.config.js';
import { SigningUnavailableError } from './signing-keys.errors.js';

/** Announces the kid of a key published, activated early or retired. */
export const SIGNING_KEYS_TOPIC = 'signing-keys';

/** A published key as every instance holds it. */
export interface PublishedKey extends ScheduledKey {
  algorithm: AsymmetricAlgorithm;
  publicJwk: JWK;
  publicKey: KeyObject;
}

export interface ActiveSigningKey {
  kid: string;
  algorithm: AsymmetricAlgorithm;
  privateKey: KeyObject;
}

/** An unknown kid reloads the keys at most this often: a stream of made-up kids costs little. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

/**
 * The published keys in memory on every instance (issue #22): the JWKS, the key for a kid,
 * the key that signs now. Kept current by the change feed (a message on every change, a poll
 * under it); which key signs is then a matter of the clock (`signingKeyAt`).
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly settings: SigningKeysConfig;
  private readonly cipher: SecretCipher;
  private keys: PublishedKey[] = [];
  private byKid = new Map<string, PublishedKey>();
  private firstPublishedAt: Date | null = null;
  private readonly privateKeys = new Map<string, KeyObject>();
  private readonly retiredListeners: ((kids: readonly string[]) => void)[] = [];
  private reloading?: Promise<void>;
  private lastReloadAt = 0;

  constructor(
    @InjectRepository(SigningKey) private readonly rows: Repository<SigningKey>,
    private readonly feed: ChangeFeedService,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('signingKeys', { infer: true });
    const { encryptionKey, previousEncryptionKeys } = this.settings;
    this.cipher = new SecretCipher(
      encryptionKey,
      previousEncryptionKeys,
      'SIGNING_KEY_ENCRYPTION_KEY',
    );
  }

  onModuleInit(): void {
    const reload = () => this.reload();
    this.feed.register({
      name: SIGNING_KEYS_TOPIC,
      seed: reload,
      poll: reload,
      receive: () => void this.reloadQuietly(),
      readWhileNotLive: true,
    });
  }

  /** Every key not retired: the ones signing, pending, and superseded but still verifying. */
  get published(): readonly PublishedKey[] {
    return this.keys;
  }

  publishedJwks(): JWK[] {
    return this.keys.map((key) => publishedJwk(key.publicJwk));
  }

  /** A verifier may keep the JWKS as long as a new key waits before it signs. */
  get jwksCacheControl(): string {
    return `public, max-age=${this.settings.activationDelaySeconds}`;
  }

  /** Enough of OpenID Connect Discovery for a JOSE library to find the keys from the issuer. */
  discoveryDocument(): OpenIdConfigurationResponseDto {
    const algorithms = new Set(this.keys.map((key) => key.algorithm as string));
    if (this.settings.algorithm !== 'HS256') algorithms.add(this.settings.algorithm);
    return {
      // The very URL this document is served under, and the `iss` of key-signed tokens.
      issuer: this.settings.publicUrl,
      jwks_uri: `${this.settings.publicUrl}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: [...algorithms].sort(),
      subject_types_supported: ['public'],
      response_types_supported: [],
    };
  }

  /**
   * HS256 tokens issued before this (ms) still verify after a switch to an asymmetric
   * algorithm: the first key's publication plus the activation delay, the time a rolling
   * restart has to bring every instance over. Null while no key was ever published.
   */
  get hs256IssuedBefore(): number | null {
    if (!this.firstPublishedAt) return null;
    return this.firstPublishedAt.getTime() + this.settings.activationDelaySeconds * 1000;
  }

  /** Called with the kids of keys that were published and are retired now. */
  onRetired(listener: (kids: readonly string[]) => void): void {
    this.retiredListeners.push(listener);
  }

  /** Whether `kid` names a key published now, as memory holds it (no read). */
  isPublished(kid: string): boolean {
    return this.byKid.has(kid);
  }

  /** The published key named `kid`; an unknown kid rereads the table first (rate-limited). */
  async verificationKey(kid: string): Promise<PublishedKey | undefined> {
    const known = this.byKid.get(kid);
    if (known || Date.now() - this.lastReloadAt < UNKNOWN_KID_RELOAD_MS) return known;
    await this.reload();
    return this.byKid.get(kid);
  }

  /**
   * The key that signs now, with its private part (opened when the table is read). None, or
   * one that does not open: a 503 problem, not a 500 (see docs/security.md, key rotation).
   */
  async signingKey(): Promise<ActiveSigningKey> {
    const key = signingKeyAt(this.keys, Date.now());
    if (!key) throw new SigningUnavailableError();
    if (!this.privateKeys.has(key.kid)) await this.openPrivateKeys([key.kid]);
    const privateKey = this.privateKeys.get(key.kid);
    if (!privateKey) throw new SigningUnavailableError();
    return { kid: key.kid, algorithm: key.algorithm, privateKey };
  }

  /** Opens the private parts not opened yet; one that does not open is logged, not thrown. */
  private async openPrivateKeys(kids: readonly string[]): Promise<void> {
    const wanted = kids.filter((kid) => !this.privateKeys.has(kid));
    if (wanted.length === 0) return;
    const rows = await this.rows
      .createQueryBuilder('key')
      .addSelect('key.privateKeyCiphertext')
      .where({ kid: In(wanted) })
      .getMany();
    for (const row of rows) {
      try {
        const sealed = { ciphertext: row.privateKeyCiphertext, keyId: row.encryptionKeyId };
        this.privateKeys.set(row.kid, privateKeyOf(this.cipher.open(sealed, row.kid)));
      } catch {
        this.logger.error(
          `the private part of signing key ${row.kid} does not open: check SIGNING_KEY_ENCRYPTION_KEY and SIGNING_KEY_PREVIOUS_ENCRYPTION_KEYS`,
        );
      }
    }
  }

  /** The key signing now and those waiting to: the ones whose private part will be needed. */
  private keysThatSign(keys: readonly PublishedKey[], now: number): string[] {
    const signing = signingKeyAt(keys, now);
    return keys
      .filter((key) => signing === undefined || key.activeFrom >= signing.activeFrom)
      .map((key) => key.kid);
  }

  /** Rereads the published keys; concurrent calls share one read. */
  reload(): Promise<void> {
    this.reloading ??= this.read().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private reloadQuietly(): Promise<void> {
    return this.reload().catch((error: unknown) => {
      // The next poll tries again.
      this.logger.warn(`could not reload the signing keys: ${String(error)}`);
    });
  }

  private async read(): Promise<void> {
    this.lastReloadAt = Date.now();
    const [rows, first] = await Promise.all([
      this.rows.find({ where: { retiredAt: IsNull() }, order: { activeFrom: 'ASC' } }),
      this.rows
        .createQueryBuilder('key')
        .select('min(key.publishedAt)', 'first')
        .getRawOne<{ first: Date | null }>(),
    ]);
    const keys = rows.map((row) => this.toPublished(row));
    const retired = [...this.byKid.keys()].filter((kid) => !keys.some((key) => key.kid === kid));
    this.keys = keys;
    this.byKid = new Map(keys.map((key) => [key.kid, key]));
    this.firstPublishedAt = first?.first ? new Date(first.first) : null;
    for (const kid of retired) this.privateKeys.delete(kid);
    // Opened now, not at the first login: a wrong key-encryption key shows at start-up.
    await this.openPrivateKeys(this.keysThatSign(keys, Date.now()));
    if (retired.length > 0) for (const listener of this.retiredListeners) listener(retired);
  }

  private toPublished(row: SigningKey): PublishedKey {
    const known = this.byKid.get(row.kid);
    return {
      kid: row.kid,
      algorithm: row.algorithm as AsymmetricAlgorithm,
      publicJwk: row.publicJwk,
      publicKey: known?.publicKey ?? publicKeyOf(row.publicJwk),
      activeFrom: row.activeFrom,
      retiredAt: null,
    };
  }
}
