import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import type { Configuration } from '../config/configuration.js';
import { ACCESS_TOKEN_ALGORITHM, accessTokenKey } from './access-token.js';
import { TokenService } from './token.service.js';
import { VerifiedAccessTokens } from './verified-access-tokens.js';

/** Issuing access tokens, and the memory of tokens already verified (issue #3). */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Configuration, true>) => {
        const tokens = config.get('tokens', { infer: true });
        return {
          secret: accessTokenKey(tokens),
          signOptions: {
            algorithm: ACCESS_TOKEN_ALGORITHM,
            expiresIn: tokens.accessTokenTtlSeconds,
            issuer: tokens.issuer,
            audience: tokens.audience,
          },
        };
      },
    }),
  ],
  providers: [TokenService, VerifiedAccessTokens],
  exports: [TokenService, VerifiedAccessTokens],
})
export class TokensModule {}
