import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccountModule } from '../account/account.module.js';
import { AuthorizationModule } from '../authorization/authorization.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { LoginBackoffModule } from '../login-backoff/login-backoff.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { LocalStrategy } from './strategies/local.strategy.js';

/** Signup, login, refresh and logout; the Passport login strategy and the global bearer guard. */
@Module({
  imports: [
    UsersModule,
    SessionsModule,
    PasswordsModule,
    TokensModule,
    AccountModule,
    LoginBackoffModule,
    SecurityEventsModule,
    PassportModule,
    RateLimitModule,
    AuthorizationModule,
    DevicesModule,
    MfaModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, LocalStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  // Social login (issue #21) ends its sign-ins through the same `login` as the password.
  exports: [AuthService],
})
export class AuthModule {}
