import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { WebhookOutboxModule } from '../webhooks/webhook-outbox.module.js';
import { APP_GUARD } from '@nestjs/core';
import { AuthorizationService } from './authorization.service.js';
import { BootstrapAdministratorService } from './bootstrap-administrator.service.js';
import { Role } from './entities/role.entity.js';
import { RolesService } from './roles.service.js';
import { PermissionsGuard } from './permissions.guard.js';

/**
 * Roles, permissions and the guard that enforces @RequirePermissions (issue #19). Import it
 * after AuthModule in AppModule: global guards run in registration order, and this one needs
 * the principal the bearer guard puts on the request.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Role]), AuditModule, WebhookOutboxModule],
  providers: [
    AuthorizationService,
    RolesService,
    BootstrapAdministratorService,
    { provide: APP_GUARD, useClass: PermissionsGuard },
  ],
  exports: [AuthorizationService, RolesService, BootstrapAdministratorService],
})
export class AuthorizationModule {}
