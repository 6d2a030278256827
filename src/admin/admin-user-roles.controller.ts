import { Body, Controller, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RequirePermissions } from '../authorization/require-permissions.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import { AdminRolesService } from './admin-roles.service.js';
import { SetUserRolesDto } from './dto/set-user-roles.dto.js';
import { UserRolesResponseDto } from './dto/user-roles-response.dto.js';

/** Which roles an account holds (issue #19); the rest of /admin/users is AdminUsersController. */
@ApiTags('admin')
@Controller('admin/users')
export class AdminUserRolesController {
  constructor(private readonly roles: AdminRolesService) {}

  /**
   * Replaces the account's roles; takes effect on every instance within a second. The last
   * active administrator cannot lose `admin` (409 `last-administrator`).
   */
  @Put(':id/roles')
  @RequirePermissions('roles:write')
  @ApiProblemResponses(404, 409)
  async setUserRoles(
    @Param(
      'id',
      new ParseUUIDPipe({
        exceptionFactory: () =>
          new RequestValidationError([{ field: 'id', message: 'must be a UUID' }]),
      }),
    )
    id: string,
    @Body() dto: SetUserRolesDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<UserRolesResponseDto> {
    const actor = { userId: principal.userId, client };
    return { user_id: id, roles: await this.roles.setUserRoles(actor, id, dto.roles) };
  }
}
