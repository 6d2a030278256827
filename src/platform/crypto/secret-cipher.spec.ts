import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, type EncryptionKey } from './encryption-keys.js';
import { SecretCipher } from './secret-cipher.js';

const newKey = (): EncryptionKey => {
  const key = randomBytes(32);
  return { id: keyIdOf(key), key };
};
const USER = '7f2b1c1e-8f0a-4a59-9a43-3c3f5a7d2b10';
const OTHER_USER = '0b6f3a8e-2a55-4c1e-8e1f-9d1f8a1b2c3d';

describe('SecretCipher (AES-256-GCM, issue #20)', () => {
  const secret = randomBytes(20);

  it('opens what it sealed, and records the key that sealed it', () => {
    const key = newKey();
    const cipher = new SecretCipher(key, []);
    const sealed = cipher.seal(secret, USER);
    expect(sealed.keyId).toBe(key.id);
    expect(sealed.ciphertext).not.toContain(secret.toString('base64url'));
    expect(cipher.open(sealed, USER)).toEqual(secret);
  });

  it('names the keys a re-seal moves secrets off: every readable key but the current one', () => {
    const [current, older, oldest] = [newKey(), newKey(), newKey()];
    const cipher = new SecretCipher(current, [older, oldest, current]);
    expect(cipher.previousKeyIds.sort()).toEqual([older.id, oldest.id].sort());
    expect(new SecretCipher(current, []).previousKeyIds).toEqual([]);
  });

  it('refuses a ciphertext moved onto another user, or altered', () => {
    const cipher = new SecretCipher(newKey(), []);
    const sealed = cipher.seal(secret, USER);
    expect(() => cipher.open(sealed, OTHER_USER)).toThrow();
    const [iv, tag, data] = sealed.ciphertext.split('.');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const altered = [iv, tag, flipped.toString('base64url')].join('.');
    expect(() => cipher.open({ ...sealed, ciphertext: altered }, USER)).toThrow();
  });

  it('after a rotation, opens the old key’s secrets and seals with the new one', () => {
    const [oldKey, newer] = [newKey(), newKey()];
    const sealedBefore = new SecretCipher(oldKey, []).seal(secret, USER);
    const rotated = new SecretCipher(newer, [oldKey]);
    expect(rotated.open(sealedBefore, USER)).toEqual(secret);
    expect(rotated.seal(secret, USER).keyId).toBe(newer.id);
    expect(new SecretCipher(newer, []).canOpen(oldKey.id)).toBe(false);
  });
});
