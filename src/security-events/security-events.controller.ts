import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { BearerAuth } from '../common/api-problem-responses.decorator.js';
import { CurrentPrincipal } from '../common/request-context.decorators.js';
import type { Principal } from '../tokens/access-token.js';
import { ListSecurityEventsQueryDto } from './dto/list-security-events-query.dto.js';
import {
  SecurityEventPageResponseDto,
  SecurityEventResponseDto,
} from './dto/security-event-response.dto.js';
import { SecurityEventsService } from './security-events.service.js';

@ApiTags('auth')
@Controller('auth/events')
export class SecurityEventsController {
  constructor(private readonly securityEvents: SecurityEventsService) {}

  /** The signed-in user's security events (logins, failures, logouts...), newest first. */
  @Get()
  @BearerAuth()
  async listEvents(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListSecurityEventsQueryDto,
  ): Promise<SecurityEventPageResponseDto> {
    const page = await this.securityEvents.listForUser(principal.userId, query.limit, query.cursor);
    return {
      events: page.events.map((event) => SecurityEventResponseDto.from(event)),
      next_cursor: page.nextCursor,
    };
  }
}
