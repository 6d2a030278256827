import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import type { Configuration } from '../config/configuration.js';
import { AccountTokensModule } from '../account-tokens/account-tokens.module.js';
import { MailModule } from '../mail/mail.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { LoginBackoffModule } from '../login-backoff/login-backoff.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { ACCESS_TOKEN_ALGORITHM, accessTokenKey } from './access-token.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { PasswordHasherService } from './password-hasher.service.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { LocalStrategy } from './strategies/local.strategy.js';
import { TokenService } from './token.service.js';
import { VerifiedAccessTokens } from './verified-access-tokens.js';

@Module({
  imports: [
    UsersModule,
    SessionsModule,
    LoginBackoffModule,
    SecurityEventsModule,
    AccountTokensModule,
    MailModule,
    RateLimitModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Configuration, true>) => {
        const auth = config.get('auth', { infer: true });
        return {
          secret: accessTokenKey(auth),
          signOptions: {
            algorithm: ACCESS_TOKEN_ALGORITHM,
            expiresIn: auth.accessTokenTtlSeconds,
            issuer: auth.issuer,
            audience: auth.audience,
          },
        };
      },
    }),
  ],
  controllers: [AuthController, AccountController],
  providers: [
    AuthService,
    AccountService,
    TokenService,
    PasswordHasherService,
    LocalStrategy,
    JwtStrategy,
    VerifiedAccessTokens,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}
