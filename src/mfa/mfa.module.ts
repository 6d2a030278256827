import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DevicesModule } from '../devices/devices.module.js';
import { LoginBackoffModule } from '../login-backoff/login-backoff.module.js';
import { WebhookOutboxModule } from '../webhooks/webhook-outbox.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { MfaChallenge } from './entities/mfa-challenge.entity.js';
import { MfaRecoveryCode } from './entities/mfa-recovery-code.entity.js';
import { MfaSecretsModule } from './mfa-secrets.module.js';
import { MfaChallengesService } from './mfa-challenges.service.js';
import { MfaController } from './mfa.controller.js';
import { MfaService } from './mfa.service.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { SecondFactorService } from './second-factor.service.js';
import { StepUpGuard } from './step-up.guard.js';

/**
 * Second factors (issue #20): TOTP enrolment, recovery codes, the login's second step and
 * step-up. Login (AuthModule) and the account's sensitive changes (AccountModule) use it.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([MfaRecoveryCode, MfaChallenge]),
    MfaSecretsModule,
    UsersModule,
    SessionsModule,
    DevicesModule,
    PasswordsModule,
    LoginBackoffModule,
    SecurityEventsModule,
    MailModule,
    WebhookOutboxModule,
  ],
  controllers: [MfaController],
  providers: [
    RecoveryCodesService,
    MfaChallengesService,
    SecondFactorService,
    MfaService,
    StepUpGuard,
  ],
  exports: [SecondFactorService, MfaService, StepUpGuard],
})
export class MfaModule {}
