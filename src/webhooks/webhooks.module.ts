import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WebhookSecretsService } from './webhook-secrets.service.js';

/** Endpoints and the background delivery of the outbox (issue #22); routes in src/admin. */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEndpoint]), AuditModule],
  providers: [WebhookSecretsService, WebhookEndpointsService, WebhookDeliveryWorker],
  exports: [WebhookEndpointsService],
})
export class WebhooksModule {}
