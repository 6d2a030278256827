import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountModule } from '../account/account.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { AuthorizationModule } from '../authorization/authorization.module.js';
import { MailModule } from '../mail/mail.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountLinkingService } from './account-linking.service.js';
import { Identity } from './entities/identity.entity.js';
import { OAuthLoginCode } from './entities/oauth-login-code.entity.js';
import { OAuthState } from './entities/oauth-state.entity.js';
import { IdentitiesController } from './identities.controller.js';
import { IdentitiesService } from './identities.service.js';
import { OAuthHandoffsService } from './oauth-handoffs.service.js';
import { OAuthController } from './oauth.controller.js';
import { OAuthService } from './oauth.service.js';
import { ProviderClientsService } from './provider-clients.service.js';

/** Social login (issue #21): providers, linking rules and identities, beside auth/. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Identity, OAuthState, OAuthLoginCode]),
    AuthModule,
    // The current-password rule for linking (issue #21 review).
    AccountModule,
    // The step-up guard on linking and unlinking.
    MfaModule,
    UsersModule,
    SecurityEventsModule,
    MailModule,
    AuthorizationModule,
    RateLimitModule,
  ],
  controllers: [OAuthController, IdentitiesController],
  providers: [
    ProviderClientsService,
    OAuthHandoffsService,
    IdentitiesService,
    AccountLinkingService,
    OAuthService,
  ],
})
export class OAuthModule {}
