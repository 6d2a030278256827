import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { AsymmetricAlgorithm } from './signing-keys.config.js';

/** A fresh key pair: what a `signing_keys` row stores, before its private part is sealed. */
export interface NewKeyMaterial {
  kid: string;
  algorithm: AsymmetricAlgorithm;
  publicJwk: JWK;
  /** PKCS #8 DER. */
  privateKey: Buffer;
}

function generatePair(algorithm: AsymmetricAlgorithm) {
  return algorithm === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** The kid is the RFC 7638 thumbprint: derived from the key, the same wherever it is computed. */
export async function generateKeyMaterial(algorithm: AsymmetricAlgorithm): Promise<NewKeyMaterial> {
  const { publicKey, privateKey } = generatePair(algorithm);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    algorithm,
    publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' },
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }),
  };
}

export function publicKeyOf(jwk: JWK): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

export function privateKeyOf(pkcs8: Buffer): KeyObject {
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

/** Only the public members: a JWK read back from the database is published as this. */
export function publishedJwk(jwk: JWK): JWK {
  const { kty, crv, x, y, kid, alg, use } = jwk;
  return Object.fromEntries(
    Object.entries({ kty, crv, x, y, kid, alg, use }).filter(([, value]) => value !== undefined),
  );
}
