import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import { Public } from '../common/public.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { ListSecurityEventsQueryDto } from '../security-events/dto/list-security-events-query.dto.js';
import {
  SecurityEventPageResponseDto,
  SecurityEventResponseDto,
} from '../security-events/dto/security-event-response.dto.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { SessionResponseDto } from '../sessions/dto/session-response.dto.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import type { Principal } from './access-token.js';
import { AuthService, type TokenPair } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import { LogoutAllResponseDto, MessageResponseDto } from './dto/message-response.dto.js';
import { RefreshTokenDto } from './dto/refresh-token.dto.js';
import { SignupDto } from './dto/signup.dto.js';
import { TokenPairResponseDto } from './dto/token-pair-response.dto.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';
import { CurrentPrincipal, LoggedInUser, RequestClient } from './request-context.decorators.js';

const toResponse = (pair: TokenPair): TokenPairResponseDto => ({
  access_token: pair.accessToken,
  refresh_token: pair.refreshToken,
  token_type: 'bearer',
  expires_in: pair.expiresIn,
});

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  /** Creates an account. Email and username must be free (username ignoring case). */
  @Public()
  @RateLimit('signup')
  @Post('signup')
  @ApiProblemResponses(409)
  async signup(
    @Body() dto: SignupDto,
    @RequestClient() client: ClientInfo,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.auth.signup(dto, client));
  }

  /** Exchanges a username or email and a password for an access token and a refresh token. */
  @Public()
  @RateLimit('login', 'login-account')
  @Post('login')
  @HttpCode(200)
  @UseGuards(LocalAuthGuard)
  @ApiBody({ type: LoginDto })
  @ApiProblemResponses(401, 403)
  async login(
    @LoggedInUser() user: User,
    @RequestClient() client: ClientInfo,
  ): Promise<TokenPairResponseDto> {
    return toResponse(await this.auth.login(user, client));
  }

  /**
   * Exchanges a refresh token for a new pair; the old refresh token stops working. Presenting
   * an already-exchanged refresh token ends its whole session.
   */
  @Public()
  @RateLimit('refresh')
  @Post('refresh')
  @HttpCode(200)
  @ApiProblemResponses(401, 403)
  async refresh(
    @Body() dto: RefreshTokenDto,
    @RequestClient() client: ClientInfo,
  ): Promise<TokenPairResponseDto> {
    return toResponse(await this.auth.refresh(dto.refresh_token, client));
  }

  /** The signed-in user. */
  @Get('me')
  @BearerAuth()
  @ApiProblemResponses(403)
  me(@CurrentPrincipal() principal: Principal): UserResponseDto {
    return UserResponseDto.from(principal.user);
  }

  /** Ends this session: its access token and its refresh token stop working at once. */
  @Post('logout')
  @HttpCode(200)
  @BearerAuth()
  async logout(
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.auth.logout(principal, client);
    return { message: 'Successfully logged out' };
  }

  /** Ends every session of the signed-in user, this one included. */
  @Post('logout-all')
  @HttpCode(200)
  @BearerAuth()
  async logoutAll(
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<LogoutAllResponseDto> {
    const revoked = await this.auth.logoutAll(principal, client);
    return { message: 'Logged out of all sessions', revoked_sessions: revoked };
  }

  /** The signed-in user's active sessions, most recently used first. */
  @Get('sessions')
  @BearerAuth()
  async listSessions(@CurrentPrincipal() principal: Principal): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.listActive(principal.userId);
    return sessions.map((session) => SessionResponseDto.from(session, principal.sessionId));
  }

  /** Ends one of the signed-in user's sessions, e.g. a lost phone. */
  @Delete('sessions/:id')
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
    await this.auth.revokeSession(principal, id, client);
  }

  /** The signed-in user's security events (logins, failures, logouts...), newest first. */
  @Get('events')
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
