import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { importKeyMaterial } from './signing-key-material.js';

describe('importKeyMaterial', () => {
  it('takes a P-256 key under ES256, as PKCS #8, SEC1 or JWK, with the thumbprint as kid', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const inputs = [
      privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      privateKey.export({ format: 'pem', type: 'sec1' }) as string,
      JSON.stringify(await exportJWK(privateKey)),
    ];
    for (const input of inputs) {
      const material = await importKeyMaterial(`\n${input}\n`, 'ES256');
      expect(material).toMatchObject({ kid, algorithm: 'ES256' });
      expect(material.publicJwk).toEqual({
        ...(await exportJWK(publicKey)),
        kid,
        alg: 'ES256',
        use: 'sig',
      });
      const stored = createPrivateKey({ key: material.privateKey, format: 'der', type: 'pkcs8' });
      expect(stored.equals(privateKey)).toBe(true);
    }
  });

  it('refuses an Ed25519 key under ES256 and a P-256 key under EdDSA, naming both', async () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    await expect(importKeyMaterial(ed as string, 'ES256')).rejects.toThrow(
      'The key is Ed25519; JWT_SIGNING_ALGORITHM=ES256 signs with EC P-256 keys only.',
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expect(importKeyMaterial(JSON.stringify(await exportJWK(ec)), 'EdDSA')).rejects.toThrow(
      'The key is EC P-256; JWT_SIGNING_ALGORITHM=EdDSA signs with Ed25519 keys only.',
    );
  });

  it('refuses an encrypted PEM, telling how to decrypt it', async () => {
    const encrypted = generateKeyPairSync('ed25519').privateKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'battery',
    }) as string;
    await expect(importKeyMaterial(encrypted, 'EdDSA')).rejects.toThrow(/encrypted: decrypt it/);
  });
});
