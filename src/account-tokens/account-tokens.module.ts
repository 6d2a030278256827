import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountTokensService } from './account-tokens.service.js';
import { AccountToken } from './entities/account-token.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([AccountToken])],
  providers: [AccountTokensService],
  exports: [AccountTokensService],
})
export class AccountTokensModule {}
