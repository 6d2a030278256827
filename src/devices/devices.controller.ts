import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { Principal } from '../tokens/access-token.js';
import { KnownDeviceResponseDto } from './dto/known-device-response.dto.js';

@ApiTags('auth')
@Controller('auth/devices')
export class DevicesController {
  constructor(private readonly sessions: SessionsService) {}

  /** The devices the signed-in user's account knows, most recently used first. */
  @Get()
  @BearerAuth()
  async listDevices(@CurrentPrincipal() principal: Principal): Promise<KnownDeviceResponseDto[]> {
    return (await this.sessions.listDevices(principal.userId)).map((listed) =>
      KnownDeviceResponseDto.from(listed),
    );
  }

  /**
   * Forgets one of the signed-in user's devices, e.g. a lost phone: its sessions end at once,
   * and its device token no longer spares it the login backoff or the second factor.
   */
  @Delete(':id')
  @HttpCode(204)
  @BearerAuth()
  @ApiProblemResponses(404)
  async revokeDevice(
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
    await this.sessions.revokeDevice(principal.userId, id, client);
  }
}
