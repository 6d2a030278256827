import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from './encryption-keys.js';

/** A secret as stored: the ciphertext and the id of the key that made it. */
export interface SealedSecret {
  ciphertext: string;
  keyId: string;
}

const IV_BYTES = 12;

/**
 * AES-256-GCM for secrets at rest: TOTP secrets (issue #20), private signing keys (issue #22).
 * The owner's id (a user id, a key id) is the additional data, so a ciphertext copied onto
 * another row does not decrypt. Keys rotate: the current one seals, any configured one opens
 * what it sealed. `keyName` is the variable that sets the key, for the errors.
 */
export class SecretCipher {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly current: EncryptionKey | null,
    previous: readonly EncryptionKey[],
    private readonly keyName = 'MFA_ENCRYPTION_KEY',
  ) {
    this.byId = new Map([...previous, ...(current ? [current] : [])].map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string | null {
    return this.current?.id ?? null;
  }

  /** The keys that open but no longer seal: what a re-seal moves secrets off. */
  get previousKeyIds(): string[] {
    return [...this.byId.keys()].filter((id) => id !== this.current?.id);
  }

  canOpen(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  seal(secret: Buffer, ownerId: string): SealedSecret {
    if (!this.current) throw new Error(`No ${this.keyName} configured`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(ownerId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
    return { ciphertext: parts.join('.'), keyId: this.current.id };
  }

  open({ ciphertext, keyId }: SealedSecret, ownerId: string): Buffer {
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`The ${this.keyName} with id ${keyId} is not configured`);
    const [iv, tag, data] = ciphertext.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !tag || !data) throw new Error('A sealed secret is malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(ownerId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
}
