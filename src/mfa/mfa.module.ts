import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Configuration } from '../config/configuration.js';
import { LoginBackoffModule } from '../login-backoff/login-backoff.module.js';
import { WebhookOutboxModule } from '../webhooks/webhook-outbox.module.js';
import { MailModule } from '../mail/mail.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { MfaChallenge } from './entities/mfa-challenge.entity.js';
import { MfaFactor } from './entities/mfa-factor.entity.js';
import { MfaRecoveryCode } from './entities/mfa-recovery-code.entity.js';
import { MfaChallengesService } from './mfa-challenges.service.js';
import { MfaController } from './mfa.controller.js';
import { MfaService } from './mfa.service.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { SecondFactorService } from './second-factor.service.js';
import { SecretCipher } from './secret-cipher.js';
import { StepUpGuard } from './step-up.guard.js';
import { TotpFactorsService } from './totp-factors.service.js';

/**
 * Second factors (issue #20): TOTP enrolment, recovery codes, the login's second step and
 * step-up. Login (AuthModule) and the account's sensitive changes (AccountModule) use it.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([MfaFactor, MfaRecoveryCode, MfaChallenge]),
    UsersModule,
    SessionsModule,
    PasswordsModule,
    LoginBackoffModule,
    SecurityEventsModule,
    MailModule,
    WebhookOutboxModule,
  ],
  controllers: [MfaController],
  providers: [
    {
      provide: SecretCipher,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Configuration, true>) => {
        const { currentKey, previousKeys } = config.get('mfa', { infer: true });
        return new SecretCipher(currentKey, previousKeys);
      },
    },
    TotpFactorsService,
    RecoveryCodesService,
    MfaChallengesService,
    SecondFactorService,
    MfaService,
    StepUpGuard,
  ],
  exports: [SecondFactorService, MfaService, StepUpGuard],
})
export class MfaModule {}
