import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { AsymmetricAlgorithm } from './signing-keys.config.js';
import { KeyImportRefusedError } from './signing-keys.errors.js';

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
async function materialOf(
  privateKey: KeyObject,
  algorithm: AsymmetricAlgorithm,
): Promise<NewKeyMaterial> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk);
  return {
    kid,
    algorithm,
    publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' },
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }),
  };
}

export function generateKeyMaterial(algorithm: AsymmetricAlgorithm): Promise<NewKeyMaterial> {
  return materialOf(generatePair(algorithm).privateKey, algorithm);
}

/**
 * A private key brought from a file or an HSM export (PEM, or a JWK with `d`), checked against
 * the configured algorithm. Refusals say what is wrong in one line and never quote the input
 * (parser messages do: they are not passed on).
 */
export async function importKeyMaterial(
  input: string,
  algorithm: AsymmetricAlgorithm,
): Promise<NewKeyMaterial> {
  const key = readPrivateKey(input.trim());
  const kind = kindOf(key);
  const wanted = algorithm === 'EdDSA' ? 'Ed25519' : 'EC P-256';
  if (kind !== wanted) {
    throw new KeyImportRefusedError(
      `The key is ${kind}; JWT_SIGNING_ALGORITHM=${algorithm} signs with ${wanted} keys only.`,
    );
  }
  return materialOf(key, algorithm);
}

function readPrivateKey(text: string): KeyObject {
  if (text.startsWith('{')) return readPrivateJwk(text);
  if (/^-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text) || text.startsWith('-----BEGIN CERT')) {
    throw new KeyImportRefusedError('This is a public key: import the private key.');
  }
  if (text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw new KeyImportRefusedError(
      'The PEM is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem).',
    );
  }
  if (!text.startsWith('-----BEGIN ')) {
    throw new KeyImportRefusedError('Neither a PEM private key nor a private JWK.');
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw new KeyImportRefusedError('The PEM does not hold a readable private key.');
  }
}

function readPrivateJwk(text: string): KeyObject {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new KeyImportRefusedError('The JSON does not parse: neither a PEM nor a JWK.');
  }
  if (typeof jwk !== 'object' || jwk === null || !('kty' in jwk)) {
    throw new KeyImportRefusedError('The JSON is not a JWK (no "kty").');
  }
  if (jwk.kty === 'oct') throw new KeyImportRefusedError('This is a symmetric key (kty "oct").');
  if (!('d' in jwk)) throw new KeyImportRefusedError('This is a public key: the JWK has no "d".');
  try {
    return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new KeyImportRefusedError('The JWK does not hold a readable private key.');
  }
}

/** What the key is, in the words of the refusal: `Ed25519`, `EC P-256`, `RSA`, ... */
function kindOf(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown';
  if (type === 'ed25519') return 'Ed25519';
  if (type !== 'ec') return type.toUpperCase();
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const names: Record<string, string> = {
    prime256v1: 'P-256',
    secp384r1: 'P-384',
    secp521r1: 'P-521',
  };
  return `EC ${curve ? (names[curve] ?? curve) : 'on an unknown curve'}`;
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
