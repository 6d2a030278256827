import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthorizationModule } from '../authorization/authorization.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminAuditSeam } from './admin-audit.seam.js';
import { AdminCommands } from './admin-commands.js';
import { AdminRolesController } from './admin-roles.controller.js';
import { AdminRolesService } from './admin-roles.service.js';
import { AdminUserRolesController } from './admin-user-roles.controller.js';

/** The /admin API (issue #19): thin controllers over the features' own services. */
@Module({
  imports: [AuthorizationModule, UsersModule, AuditModule],
  controllers: [AdminRolesController, AdminUserRolesController],
  providers: [AdminRolesService, AdminAuditSeam, AdminCommands],
  exports: [AdminCommands],
})
export class AdminModule {}
