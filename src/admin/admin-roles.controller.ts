import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RequirePermissions } from '../authorization/require-permissions.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import { AdminRolesService, type AdminActor } from './admin-roles.service.js';
import { CreateRoleDto } from './dto/create-role.dto.js';
import { DeleteRoleQueryDto } from './dto/delete-role-query.dto.js';
import { RenameRoleDto } from './dto/rename-role.dto.js';
import { RoleResponseDto } from './dto/role-response.dto.js';
import { SetRolePermissionsDto } from './dto/set-role-permissions.dto.js';

const actorOf = (principal: Principal, client: ClientInfo): AdminActor => ({
  userId: principal.userId,
  client,
});

/** Roles and the permissions they grant (issue #19). Every change is audited. */
@ApiTags('admin')
@Controller('admin/roles')
export class AdminRolesController {
  constructor(private readonly roles: AdminRolesService) {}

  /** Every role, with its permissions and how many accounts hold it. */
  @Get()
  @RequirePermissions('roles:read')
  async listRoles(): Promise<RoleResponseDto[]> {
    return (await this.roles.list()).map((role) => RoleResponseDto.from(role));
  }

  /** Creates a custom role. */
  @Post()
  @RequirePermissions('roles:write')
  @ApiProblemResponses(409)
  async createRole(
    @Body() dto: CreateRoleDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<RoleResponseDto> {
    const role = await this.roles.create(actorOf(principal, client), dto.name, dto.permissions);
    return RoleResponseDto.from(role);
  }

  /** Renames a custom role; built-in roles keep their names (409). */
  @Patch(':name')
  @RequirePermissions('roles:write')
  @ApiProblemResponses(404, 409)
  async renameRole(
    @Param('name') name: string,
    @Body() dto: RenameRoleDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<RoleResponseDto> {
    const role = await this.roles.rename(actorOf(principal, client), name, dto.name);
    return RoleResponseDto.from(role);
  }

  /** Replaces a role's permissions; `admin` always holds every permission (409). */
  @Put(':name/permissions')
  @RequirePermissions('roles:write')
  @ApiProblemResponses(404, 409)
  async setRolePermissions(
    @Param('name') name: string,
    @Body() dto: SetRolePermissionsDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<RoleResponseDto> {
    const actor = actorOf(principal, client);
    return RoleResponseDto.from(await this.roles.setPermissions(actor, name, dto.permissions));
  }

  /**
   * Deletes a custom role. Refused (409 `role-in-use`) while anyone holds it, unless
   * `reassign_to` names the role they get instead.
   */
  @Delete(':name')
  @HttpCode(204)
  @RequirePermissions('roles:write')
  @ApiProblemResponses(404, 409)
  async deleteRole(
    @Param('name') name: string,
    @Query() query: DeleteRoleQueryDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.roles.delete(actorOf(principal, client), name, query.reassign_to);
  }
}
