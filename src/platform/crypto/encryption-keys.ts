import { createHash } from 'node:crypto';

/** One AES-256 key and the id its ciphertexts record. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const KEY_BYTES = 32;

/** The first 8 hex digits of the key's SHA-256: tells keys apart, reveals nothing of them. */
export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** A fixed key derived from a published phrase: development and tests only, never production. */
export function developmentKey(phrase: string): EncryptionKey {
  const key = createHash('sha256').update(phrase).digest();
  return { id: keyIdOf(key), key };
}

/**
 * The published development key seals only where nothing else ever did: a shell or an instance
 * that lacks the real key must not put a readable secret beside secrets sealed with it, nor
 * move them onto the published key (issue #22 review). `sealedUnderAnotherKey(id)` says whether
 * any secret of the kind is sealed under a key other than `id`.
 */
export async function developmentKeyRefused(
  current: { encryptionKey: EncryptionKey | null; encryptionKeyIsDevelopment: boolean },
  sealedUnderAnotherKey: (keyId: string) => Promise<boolean>,
): Promise<boolean> {
  if (!current.encryptionKeyIsDevelopment || !current.encryptionKey) return false;
  return sealedUnderAnotherKey(current.encryptionKey.id);
}

/** The base64 of exactly 32 bytes (`openssl rand -base64 32`), or a problem naming `name`. */
export function parseEncryptionKey(
  name: string,
  text: string,
  problems: string[],
): EncryptionKey | undefined {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES || key.toString('base64') !== text.trim()) {
    problems.push(`${name}: must be the base64 of exactly ${KEY_BYTES} bytes`);
    return undefined;
  }
  return { id: keyIdOf(key), key };
}

/** A comma-separated list of such keys. */
export function parseEncryptionKeys(
  name: string,
  text: string | undefined,
  problems: string[],
): EncryptionKey[] {
  return (text ?? '')
    .split(',')
    .filter((part) => part.trim() !== '')
    .flatMap((part) => parseEncryptionKey(name, part, problems) ?? []);
}
