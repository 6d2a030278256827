import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from './mfa.config.js';

/** A secret as stored: the ciphertext and the id of the key that made it. */
export interface SealedSecret {
  ciphertext: string;
  keyId: string;
}

const IV_BYTES = 12;

/**
 * AES-256-GCM for TOTP secrets at rest (issue #20). The owner's user id is the additional
 * data, so a ciphertext copied onto another user's row does not decrypt. Keys rotate: the
 * current one seals, any configured one opens what it sealed.
 */
export class SecretCipher {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly current: EncryptionKey | null,
    previous: readonly EncryptionKey[],
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

  seal(secret: Buffer, userId: string): SealedSecret {
    if (!this.current) throw new Error('No MFA_ENCRYPTION_KEY configured');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
    return { ciphertext: parts.join('.'), keyId: this.current.id };
  }

  open({ ciphertext, keyId }: SealedSecret, userId: string): Buffer {
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`The MFA encryption key ${keyId} is not configured`);
    const [iv, tag, data] = ciphertext.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !tag || !data) throw new Error('A sealed MFA secret is malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(userId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  }
}
