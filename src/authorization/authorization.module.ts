import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthorizationService } from './authorization.service.js';
import { PermissionsGuard } from './permissions.guard.js';

/**
 * Roles, permissions and the guard that enforces @RequirePermissions (issue #19). Import it
 * after AuthModule in AppModule: global guards run in registration order, and this one needs
 * the principal the bearer guard puts on the request.
 */
@Module({
  providers: [AuthorizationService, { provide: APP_GUARD, useClass: PermissionsGuard }],
  exports: [AuthorizationService],
})
export class AuthorizationModule {}
