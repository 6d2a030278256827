import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module.js';
import { AccountTokensModule } from '../account-tokens/account-tokens.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { AuthorizationModule } from '../authorization/authorization.module.js';
import { PasswordsModule } from '../passwords/passwords.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminImpersonationService } from './admin-impersonation.service.js';
import { AdminUserChangesService } from './admin-user-changes.service.js';
import { AdminUserSearchService } from './admin-user-search.service.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

/**
 * /admin/users (issue #19): thin controllers over users, sessions, account, authorization and
 * audit. Apart from AdminModule, which the command line loads: that one needs none of mail,
 * password hashing or sessions.
 */
@Module({
  imports: [
    UsersModule,
    SessionsModule,
    AccountModule,
    AccountTokensModule,
    PasswordsModule,
    SecurityEventsModule,
    AuthorizationModule,
    AuditModule,
    TokensModule,
    MfaModule,
  ],
  controllers: [AdminUsersController],
  providers: [
    AdminUsersService,
    AdminUserChangesService,
    AdminUserSearchService,
    AdminImpersonationService,
  ],
})
export class AdminUsersModule {}
