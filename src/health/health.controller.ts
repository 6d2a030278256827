import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import { Public } from '../common/public.decorator.js';
import { SkipRateLimit } from '../rate-limit/rate-limit.decorator.js';
import { ReadinessService } from './readiness.service.js';

@ApiTags('health')
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly readiness: ReadinessService,
  ) {}

  /**
   * Readiness: 200 when the database answers within 1.5 s, 503 (problem details) when not,
   * and from SIGTERM on while the instance drains (SHUTDOWN_DRAIN_SECONDS).
   */
  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiProblemResponses(503)
  check(): Promise<HealthCheckResult> {
    this.readiness.assertReady();
    return this.health.check([() => this.database.pingCheck('database', { timeout: 1500 })]);
  }

  /** Liveness: 200 while the process can answer at all; checks nothing else. */
  @Get('live')
  @ApiProblemResponses()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
