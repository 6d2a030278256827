import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityEvent } from './entities/security-event.entity.js';

import { SecurityEventsService } from './security-events.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([SecurityEvent])],

  providers: [SecurityEventsService],
  exports: [SecurityEventsService],
})
export class SecurityEventsModule {}
