import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DevicesController } from './devices.controller.js';
import { DevicesModule } from './devices.module.js';

/** `/auth/devices`: above sessions, since forgetting a device ends the sessions it started. */
@Module({
  imports: [DevicesModule, SessionsModule],
  controllers: [DevicesController],
})
export class DevicesRoutesModule {}
