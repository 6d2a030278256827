import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { WebhookOutboxModule } from '../webhooks/webhook-outbox.module.js';
import { User } from './entities/user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  // Audit, for the bans that lift by themselves; it needs only security events, never users.
  // The webhook outbox, for the events of every change (issue #22); it needs nothing back.
  imports: [TypeOrmModule.forFeature([User]), AuditModule, WebhookOutboxModule],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
