import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Configuration } from '../config/configuration.js';
import type { AccessTokenClaims } from './access-token.js';

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
  issueAccessToken(userId: string, sessionId: string, roles: readonly string[]): IssuedAccessToken {
    const claims: AccessTokenClaims = {
      sub: userId,
      sid: sessionId,
      jti: randomUUID(),
      roles: [...roles],
    };
    return { accessToken: this.jwt.sign(claims), expiresIn: this.ttlSeconds };
  }
}
