import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SignJWT } from 'jose';
import type { Configuration } from '../config/configuration.js';
import type { AccessTokenClaims } from './access-token.js';
import type { SigningAlgorithm } from './signing-keys/signing-keys.config.js';
import { SigningKeysService } from './signing-keys/signing-keys.service.js';

/** What sets an impersonated session's tokens apart (issue #19). */
export interface Impersonation {
  /** The administrator's user id: the `act` claim's `sub`. */
  actorId: string;
  /** The session's fixed end: no token of it lives longer. */
  endsAt: Date;
}

/** How the session's login authenticated: the `amr` and `auth_time` claims (issue #20). */
export interface SignIn {
  methods: readonly string[];
  at: Date;
  /** The session must enrol a second factor before anything else (MFA_REQUIRED_ROLES). */
  mfaEnrolmentRequired?: boolean;
}

export interface IssuedAccessToken {
  accessToken: string;
  /** Seconds until it expires. */
  expiresIn: number;
}

/**
 * Signs access tokens: with the signing key of the moment and its `kid` (EdDSA or ES256,
 * issue #22), or with JWT_SECRET under JWT_SIGNING_ALGORITHM=HS256.
 */
@Injectable()
export class TokenService {
  private readonly ttlSeconds: number;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly algorithm: SigningAlgorithm;
  private readonly secret: KeyObject;

  constructor(
    private readonly keys: SigningKeysService,
    config: ConfigService<Configuration, true>,
  ) {
    const tokens = config.get('tokens', { infer: true });
    this.ttlSeconds = tokens.accessTokenTtlSeconds;
    const signingKeys = config.get('signingKeys', { infer: true });
    this.algorithm = signingKeys.algorithm;
    // Key-signed tokens name the URL their keys are discovered from (OIDC Discovery §4.3);
    // HS256 ones keep JWT_ISSUER, which the services holding the secret check.
    this.issuer = this.algorithm === 'HS256' ? tokens.issuer : signingKeys.publicUrl;
    this.audience = tokens.audience;
    this.secret = createSecretKey(Buffer.from(tokens.jwtSecret, 'utf8'));
  }

  async issueAccessToken(
    userId: string,
    sessionId: string,
    roles: readonly string[],
    signIn: SignIn,
    impersonation?: Impersonation,
  ): Promise<IssuedAccessToken> {
    const claims: AccessTokenClaims = {
      sub: userId,
      sid: sessionId,
      jti: randomUUID(),
      roles: [...roles],
      auth_time: Math.floor(signIn.at.getTime() / 1000),
    };
    if (signIn.methods.length > 0) claims.amr = [...signIn.methods];
    if (signIn.mfaEnrolmentRequired) claims.mfa_enrolment_required = true;
    let expiresIn = this.ttlSeconds;
    if (impersonation) {
      claims.act = { sub: impersonation.actorId };
      // Whole seconds down, so `exp` does not pass the session's end (but for a session in its
      // last second, which a refresh a moment ago found live: then one second).
      const untilEnd = Math.floor((impersonation.endsAt.getTime() - Date.now()) / 1000);
      expiresIn = Math.max(1, Math.min(this.ttlSeconds, untilEnd));
    }
    return { accessToken: await this.sign(claims, expiresIn), expiresIn };
  }

  private async sign(claims: AccessTokenClaims, expiresIn: number): Promise<string> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...claims })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + expiresIn);
    if (this.algorithm === 'HS256') {
      return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.secret);
    }
    const { kid, algorithm, privateKey } = await this.keys.signingKey();
    return jwt.setProtectedHeader({ alg: algorithm, kid, typ: 'JWT' }).sign(privateKey);
  }
}
