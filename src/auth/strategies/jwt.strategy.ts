import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import type { Configuration } from '../../config/configuration.js';
import {
  ACCESS_TOKEN_ALGORITHM,
  accessTokenKey,
  bearerTokenOf,
  type AccessTokenClaims,
  type Principal,
  type VerifiedClaims,
} from '../../tokens/access-token.js';
import { AuthService } from '../auth.service.js';
import { VerifiedAccessTokens } from '../../tokens/verified-access-tokens.js';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly auth: AuthService,
    private readonly verifiedTokens: VerifiedAccessTokens,
    config: ConfigService<Configuration, true>,
  ) {
    const tokens = config.get('tokens', { infer: true });
    super({
      jwtFromRequest: bearerTokenOf,
      // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject; its types lag.
      secretOrKey: accessTokenKey(tokens) as unknown as Buffer,
      // Pinned: a token naming another algorithm (none, RS256 with our secret as key) fails.
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: tokens.issuer,
      audience: tokens.audience,
      passReqToCallback: true,
    });
  }

  /** Runs once the token verified; the guard reuses that verification until the token expires. */
  async validate(
    request: FastifyRequest,
    claims: Partial<AccessTokenClaims> & { exp?: unknown; iat?: unknown },
  ): Promise<Principal> {
    // Refuses, among others, a token without exp or iat, which jsonwebtoken lets through.
    const principal = await this.auth.authenticate(claims);
    const token = bearerTokenOf(request);
    if (token) this.verifiedTokens.remember(token, claims as VerifiedClaims);
    return principal;
  }
}
