import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import type { Principal } from '../tokens/access-token.js';
import { SessionResponseDto } from './dto/session-response.dto.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('auth')
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** The signed-in user's active sessions, most recently used first. */
  @Get()
  @BearerAuth()
  async listSessions(@CurrentPrincipal() principal: Principal): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.listForOwner(principal.userId);
    return sessions.map((session) => SessionResponseDto.from(session, principal.sessionId));
  }

  /** Ends one of the signed-in user's sessions, e.g. a lost phone. */
  @Delete(':id')
  @HttpCode(204)
  @BearerAuth()
  @ApiProblemResponses(404)
  async revokeSession(
    @CurrentPrincipal() principal: Principal,
    @Param(
      'id',
      new ParseUUIDPipe({
        exceptionFactory: () =>
          new RequestValidationError([{ field: 'id', message: 'must be a UUID' }]),
      }),
    )
    id: string,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.sessions.revokeOwned(principal.userId, id, client);
  }
}
