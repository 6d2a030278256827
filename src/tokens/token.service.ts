import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Configuration } from '../config/configuration.js';
import type { AccessTokenClaims } from './access-token.js';

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

@Injectable()
export class TokenService {
  private readonly ttlSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<Configuration, true>,
  ) {
    this.ttlSeconds = config.get('tokens', { infer: true }).accessTokenTtlSeconds;
  }

  /** Algorithm, issuer, audience and lifetime come from the JwtModule registration. */
  issueAccessToken(
    userId: string,
    sessionId: string,
    roles: readonly string[],
    signIn: SignIn,
    impersonation?: Impersonation,
  ): IssuedAccessToken {
    const claims: AccessTokenClaims = {
      sub: userId,
      sid: sessionId,
      jti: randomUUID(),
      roles: [...roles],
      auth_time: Math.floor(signIn.at.getTime() / 1000),
    };
    if (signIn.methods.length > 0) claims.amr = [...signIn.methods];
    if (signIn.mfaEnrolmentRequired) claims.mfa_enrolment_required = true;
    if (!impersonation) return { accessToken: this.jwt.sign(claims), expiresIn: this.ttlSeconds };
    claims.act = { sub: impersonation.actorId };
    // Whole seconds down, so `exp` does not pass the session's end (but for a session in its
    // last second, which a refresh a moment ago found live: then one second).
    const untilEnd = Math.floor((impersonation.endsAt.getTime() - Date.now()) / 1000);
    const expiresIn = Math.max(1, Math.min(this.ttlSeconds, untilEnd));
    return { accessToken: this.jwt.sign(claims, { expiresIn }), expiresIn };
  }
}
