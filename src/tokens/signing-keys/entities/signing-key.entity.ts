import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';

/**
 * An access-token signing key (issue #22). Published (in the JWKS) from `publishedAt`, signs
 * from `activeFrom` until a later key's `activeFrom` comes, and is withdrawn at `retiredAt`
 * (never to return). Which key signs is a function of these rows and the time, so every
 * instance agrees.
 */
@Entity({ name: 'signing_keys' })
@Index('IDX_signing_keys_retired_at', ['retiredAt'])
export class SigningKey {
  /** The RFC 7638 thumbprint of the public key; the tokens' `kid` header. */
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_signing_keys' })
  kid: string;

  /** `EdDSA` (Ed25519) or `ES256` (P-256). */
  @Column({ type: 'varchar', length: 16 })
  algorithm: string;

  /** The public key as published: kty, crv, x (and y), kid, alg, use. */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: JWK;

  /**
   * The private key (PKCS #8 DER), AES-256-GCM under SIGNING_KEY_ENCRYPTION_KEY with the kid
   * as additional data (src/platform/crypto/secret-cipher.ts). Never in clear.
   */
  @Column({ name: 'private_key_ciphertext', type: 'text', select: false })
  privateKeyCiphertext: string;

  /** Which key-encryption key sealed it. */
  @Column({ name: 'encryption_key_id', type: 'varchar', length: 16 })
  encryptionKeyId: string;

  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt: Date;

  @Column({ name: 'active_from', type: 'timestamptz' })
  activeFrom: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
