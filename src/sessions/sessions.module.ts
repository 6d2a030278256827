import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountTokensModule } from '../account-tokens/account-tokens.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { WebhookOutboxModule } from '../webhooks/webhook-outbox.module.js';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { RefreshToken } from './entities/refresh-token.entity.js';
import { Session } from './entities/session.entity.js';
import { RefreshGrace } from './refresh-grace.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Session, RefreshToken]),
    SecurityEventsModule,
    AccountTokensModule,
    DevicesModule,
    WebhookOutboxModule,
  ],
  controllers: [SessionsController],
  providers: [SessionsService, RefreshGrace],
  exports: [SessionsService],
})
export class SessionsModule {}
