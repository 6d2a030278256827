import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthorizationModule } from '../authorization/authorization.module.js';
import { UsersModule } from '../users/users.module.js';
import { SigningKeysModule } from '../tokens/signing-keys/signing-keys.module.js';
import { AdminAuditSeam } from './admin-audit.seam.js';
import { AdminCommands } from './admin-commands.js';
import { AdminKeysController } from './admin-keys.controller.js';
import { AdminRolesController } from './admin-roles.controller.js';
import { AdminRolesService } from './admin-roles.service.js';
import { AdminUserRolesController } from './admin-user-roles.controller.js';

/** The /admin API (issues #19, #22): thin controllers over the features' own services. */
@Module({
  imports: [AuthorizationModule, UsersModule, AuditModule, SigningKeysModule],
  controllers: [AdminRolesController, AdminUserRolesController, AdminKeysController],
  providers: [AdminRolesService, AdminAuditSeam, AdminCommands],
  exports: [AdminCommands],
})
export class AdminModule {}
