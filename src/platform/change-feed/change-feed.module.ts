import { Global, Module } from '@nestjs/common';
import { RedisModule } from '../redis/redis.module.js';
import { ChangeFeedService } from './change-feed.service.js';

@Global()
@Module({
  imports: [RedisModule],
  providers: [ChangeFeedService],
  exports: [ChangeFeedService],
})
export class ChangeFeedModule {}
