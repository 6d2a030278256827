import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Configuration } from '../../config/configuration.js';
import {
  ACCESS_TOKEN_ALGORITHM,
  accessTokenKey,
  type AccessTokenClaims,
  type Principal,
} from '../access-token.js';
import { AuthService } from '../auth.service.js';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly auth: AuthService,
    config: ConfigService<Configuration, true>,
  ) {
    const authConfig = config.get('auth', { infer: true });
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject; its types lag.
      secretOrKey: accessTokenKey(authConfig) as unknown as Buffer,
      // Pinned: a token naming another algorithm (none, RS256 with our secret as key) fails.
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: authConfig.issuer,
      audience: authConfig.audience,
    });
  }

  validate(claims: Partial<AccessTokenClaims>): Promise<Principal> {
    return this.auth.authenticate(claims);
  }
}
