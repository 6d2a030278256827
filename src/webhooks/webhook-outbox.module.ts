import { Module } from '@nestjs/common';
import { WebhookOutbox } from './webhook-outbox.service.js';

/**
 * Only the outbox's writer: what the features that change users import. The delivery worker
 * and the endpoints live in WebhooksModule, which the command line does not load.
 */
@Module({ providers: [WebhookOutbox], exports: [WebhookOutbox] })
export class WebhookOutboxModule {}
