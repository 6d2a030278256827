import { Module } from '@nestjs/common';
import { RedisService } from './redis.service.js';

/** The one owner of the process's Redis connections (see RedisService). */
@Module({
  providers: [RedisService],
  exports: [RedisService],
})
export class RedisModule {}
