import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SecurityEventsModule } from '../security-events/security-events.module.js';
import { DevicesService } from './devices.service.js';
import { KnownDevice } from './entities/known-device.entity.js';

/**
 * Known devices (issue #20). Below sessions, like the mail links: SessionsService forgets
 * devices when it revokes sessions, so this imports neither sessions nor auth. The routes
 * live in DevicesRoutesModule, above sessions.
 */
@Module({
  imports: [TypeOrmModule.forFeature([KnownDevice]), SecurityEventsModule],
  providers: [DevicesService],
  exports: [DevicesService],
})
export class DevicesModule {}
