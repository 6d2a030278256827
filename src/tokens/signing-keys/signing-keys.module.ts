import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../../audit/audit.module.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { SigningKeyRotationService } from './signing-key-rotation.service.js';
import { SigningKeysService } from './signing-keys.service.js';
import { WellKnownController } from './well-known.controller.js';

/** Access-token signing keys, their rotation, and the JWKS and discovery documents (issue #22). */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey]), AuditModule],
  controllers: [WellKnownController],
  providers: [SigningKeysService, SigningKeyRotationService],
  exports: [SigningKeysService, SigningKeyRotationService],
})
export class SigningKeysModule {}
