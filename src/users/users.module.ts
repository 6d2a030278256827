import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { User } from './entities/user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  // Audit, for the bans that lift by themselves; it needs only security events, never users.
  imports: [TypeOrmModule.forFeature([User]), AuditModule],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
