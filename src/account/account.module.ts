import { Module } from '@nestjs/common';
import { AccountTokensModule } from '../account-tokens/account-tokens.module.js';
import { AuthorizationModule } from '../authorization/authorization.module.js';
import { LoginBackoffModule } from '../login-backoff/login-backoff.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';

/** The account lifecycle after signup: verification, reset, changes, deletion (issue #4). */
@Module({
  imports: [
    UsersModule,
    SessionsModule,
    PasswordsModule,
    AccountTokensModule,
    MailModule,
    SecurityEventsModule,
    RateLimitModule,
    LoginBackoffModule,
    AuthorizationModule,
    // For the step-up guard on the sensitive changes (issue #20).
    MfaModule,
  ],
  controllers: [AccountController],
  providers: [AccountService],
  exports: [AccountService],
})
export class AccountModule {}
