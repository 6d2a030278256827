import { createSecretKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Configuration } from '../config/configuration.js';
import { CLOCK_SKEW_SECONDS } from './access-token.js';
import type { SigningAlgorithm } from './signing-keys/signing-keys.config.js';
import { SigningKeysService } from './signing-keys/signing-keys.service.js';
import { InvalidAccessTokenError } from './tokens.errors.js';
import { VerifiedAccessTokens } from './verified-access-tokens.js';

interface VerificationKey {
  key: KeyObject;
  algorithm: SigningAlgorithm;
  kid?: string;
}

export interface VerifiedToken {
  /** Signature, issuer, audience, `exp` and `nbf` checked; the rest is AuthService's. */
  claims: JWTPayload;
  /** The key that signed it; undefined for HS256. */
  kid?: string;
}

/**
 * Checks an access token the first time it is seen (issue #22); VerifiedAccessTokens spares
 * the next requests with it. The header only picks the key: `EdDSA`/`ES256` with the `kid` of
 * a published key of that very algorithm, or `HS256` without a kid and JWT_SECRET. Anything
 * else (`none`, RS256, HS256 over a public key, an unknown or retired kid) is refused, and
 * jose then accepts no other algorithm than the key's own.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly secret: KeyObject;
  private readonly expected: { issuer: string[]; audience: string };
  private readonly signingAlgorithm: SigningAlgorithm;
  /** The longest life one of our tokens has, clock skew included, in seconds. */
  private readonly maxLifetimeSeconds: number;

  constructor(
    private readonly keys: SigningKeysService,
    verifiedTokens: VerifiedAccessTokens,
    config: ConfigService<Configuration, true>,
  ) {
    const tokens = config.get('tokens', { infer: true });
    this.secret = createSecretKey(Buffer.from(tokens.jwtSecret, 'utf8'));
    const signingKeys = config.get('signingKeys', { infer: true });
    // Both: AUTH_PUBLIC_URL signs key-signed tokens (the discovery issuer), JWT_ISSUER signed
    // the earlier ones and still signs HS256 (docs/security.md, issuers).
    this.expected = {
      issuer: [...new Set([signingKeys.publicUrl, tokens.issuer])],
      audience: tokens.audience,
    };
    this.signingAlgorithm = signingKeys.algorithm;
    this.maxLifetimeSeconds = tokens.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS;
    keys.onRetired((kids) => verifiedTokens.forgetSignedBy(kids));
  }

  async verify(token: string): Promise<VerifiedToken> {
    const { key, algorithm, kid } = await this.keyFor(token);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, key, {
        algorithms: [algorithm],
        ...this.expected,
      }));
    } catch (error) {
      throw failureOf(error);
    }
    if (algorithm === 'HS256' && !this.acceptsHs256(claims)) {
      throw new InvalidAccessTokenError();
    }
    return { claims, kid };
  }

  /**
   * Still true of a token `verify` accepted? Its key may have been retired since; a token
   * remembered after the retirement's forgetting would outlive it (issue #22 review).
   */
  stillPublished(kid: string | undefined): boolean {
    return kid === undefined || this.keys.isPublished(kid);
  }

  private async keyFor(token: string): Promise<VerificationKey> {
    let header: { alg?: string; kid?: unknown };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new InvalidAccessTokenError();
    }
    const { alg, kid } = header;
    if (alg === 'HS256' && kid === undefined) return { key: this.secret, algorithm: 'HS256' };
    if ((alg !== 'EdDSA' && alg !== 'ES256') || typeof kid !== 'string') {
      throw new InvalidAccessTokenError();
    }
    const published = await this.keys.verificationKey(kid);
    if (published?.algorithm !== alg) throw new InvalidAccessTokenError();
    return { key: published.publicKey, algorithm: alg, kid };
  }

  /**
   * HS256 always while it signs; after a switch to a key, only tokens issued before the switch
   * (see SigningKeysService.hs256IssuedBefore) that live no longer than ours do, and only for
   * one token lifetime after it: whoever holds JWT_SECRET cannot mint a backdated token that
   * lives for a year (issue #22 review).
   */
  private acceptsHs256({ iat, exp }: JWTPayload): boolean {
    if (this.signingAlgorithm === 'HS256') return true;
    const before = this.keys.hs256IssuedBefore;
    if (before === null) return true;
    if (typeof iat !== 'number' || typeof exp !== 'number') return false;
    return (
      iat * 1000 < before &&
      exp - iat <= this.maxLifetimeSeconds &&
      Date.now() < before + this.maxLifetimeSeconds * 1000
    );
  }
}

function failureOf(error: unknown): Error {
  if (error instanceof errors.JWTExpired) {
    return new InvalidAccessTokenError('The access token has expired.');
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
    return new InvalidAccessTokenError('The access token is not valid yet.');
  }
  return new InvalidAccessTokenError();
}
