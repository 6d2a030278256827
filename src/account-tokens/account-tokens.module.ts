import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountTokensService } from './account-tokens.service.js';
import { AccountToken } from './entities/account-token.entity.js';

/**
 * Single-use tokens for links in mail. Below sessions and account: SessionsService voids
 * pending links when the owner revokes sessions (issue #18), so this imports neither.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AccountToken])],
  providers: [AccountTokensService],
  exports: [AccountTokensService],
})
export class AccountTokensModule {}
