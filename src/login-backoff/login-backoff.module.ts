import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoginFailure } from './entities/login-failure.entity.js';
import { LoginBackoffService } from './login-backoff.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([LoginFailure])],
  providers: [LoginBackoffService],
  exports: [LoginBackoffService],
})
export class LoginBackoffModule {}
