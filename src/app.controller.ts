import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from './common/api-problem-responses.decorator.js';
import { Public } from './common/public.decorator.js';
import type { Configuration } from './config/configuration.js';
import { ServiceInfoDto } from './common/dto/service-info.dto.js';

@ApiTags('service')
@Controller()
export class AppController {
  constructor(private readonly config: ConfigService<Configuration, true>) {}

  /** What this service is and where its documentation lives. */
  @Public()
  @Get()
  @ApiProblemResponses()
  info(): ServiceInfoDto {
    const { name, version } = this.config.get('app', { infer: true });
    return { name, version, docs: '/docs', redoc: '/redoc', openapi: '/docs-json' };
  }
}
