import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { AdminWebhooksController } from './admin-webhooks.controller.js';
import { AdminWebhooksService } from './admin-webhooks.service.js';

/** /admin/webhooks (issue #22): a thin controller over WebhooksModule, audited. */
@Module({
  imports: [WebhooksModule, AuditModule],
  controllers: [AdminWebhooksController],
  providers: [AdminWebhooksService],
})
export class AdminWebhooksModule {}
