import { Module } from '@nestjs/common';
import { PasswordHasherService } from './password-hasher.service.js';

/** One hashing pool per process, shared by every flow that checks or stores a password. */
@Module({
  providers: [PasswordHasherService],
  exports: [PasswordHasherService],
})
export class PasswordsModule {}
