import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RequirePermissions } from '../authorization/require-permissions.decorator.js';
import { RequireRecentSecondFactor } from '../mfa/step-up.guard.js';
import type { Principal } from '../tokens/access-token.js';
import { AdminUserSearchService } from './admin-user-search.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { UserIdParam } from './user-id.param.js';
import {
  AdminActionReasonDto,
  CreateAdminUserDto,
  DisableAdminUserDto,
  ImpersonateUserDto,
  ResetUserMfaDto,
  UpdateAdminUserDto,
} from './dto/admin-user.dto.js';
import { TokenPairResponseDto } from '../auth/dto/token-pair-response.dto.js';
import { AdminImpersonationService } from './admin-impersonation.service.js';
import {
  AdminUserDetailResponseDto,
  AdminUserPageResponseDto,
  AdminUserResponseDto,
  MfaResetResponseDto,
  SessionsRevokedResponseDto,
} from './dto/admin-user-response.dto.js';
import { ListAdminUsersQueryDto } from './dto/list-admin-users-query.dto.js';

@ApiTags('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly search: AdminUserSearchService,
    private readonly users: AdminUsersService,
    private readonly impersonation: AdminImpersonationService,
  ) {}

  /** Accounts, with search, filters, sorting and cursor pagination. */
  @Get()
  @RequirePermissions('users:read')
  async listUsers(@Query() query: ListAdminUsersQueryDto): Promise<AdminUserPageResponseDto> {
    const page = await this.search.search({
      ...query,
      createdBefore: query.created_before,
      createdAfter: query.created_after,
    });
    return {
      users: page.users.map((user) => AdminUserResponseDto.from(user)),
      next_cursor: page.nextCursor,
    };
  }

  /** One account with its roles, active sessions and recent security events. */
  @Get(':id')
  @RequirePermissions('users:read')
  @ApiProblemResponses(404)
  getUser(@UserIdParam() id: string): Promise<AdminUserDetailResponseDto> {
    return this.users.detail(id);
  }

  /** Opens an account, optionally mailing it a set-password link. */
  @Post()
  @RequirePermissions('users:write')
  @ApiProblemResponses(409)
  async createUser(
    @Body() body: CreateAdminUserDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    const user = await this.users.create(
      { principal, client },
      { ...body, sendSetPasswordLink: body.send_set_password_link },
    );
    return AdminUserResponseDto.from(user);
  }

  /** Changes the email, username or `is_active` (false disables, as `.../disable` does). */
  @Patch(':id')
  @RequirePermissions('users:write')
  @ApiProblemResponses(404, 409)
  async updateUser(
    @UserIdParam() id: string,
    @Body() body: UpdateAdminUserDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    const user = await this.users.update({ principal, client }, id, {
      email: body.email,
      username: body.username,
      isActive: body.is_active,
    });
    return AdminUserResponseDto.from(user);
  }

  /** Disables the account and ends its sessions, until enabled or until `until`. */
  @Post(':id/disable')
  @HttpCode(200)
  @RequirePermissions('users:write')
  @ApiProblemResponses(404, 409)
  async disableUser(
    @UserIdParam() id: string,
    @Body() body: DisableAdminUserDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    const user = await this.users.disable({ principal, client }, id, body.reason, body.until);
    return AdminUserResponseDto.from(user);
  }

  /** Enables a disabled account again, lifting a ban before its end. */
  @Post(':id/enable')
  @HttpCode(200)
  @RequirePermissions('users:write')
  @ApiProblemResponses(404)
  async enableUser(
    @UserIdParam() id: string,
    @Body() body: AdminActionReasonDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    return AdminUserResponseDto.from(
      await this.users.enable({ principal, client }, id, body.reason),
    );
  }

  /** Deletes the account; the last active administrator cannot be deleted (409). */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('users:delete')
  @ApiProblemResponses(404, 409)
  async deleteUser(
    @UserIdParam() id: string,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.users.delete({ principal, client }, id);
  }

  /** Ends every session of the account, as its owner's logout-all does. */
  @Post(':id/sessions/revoke-all')
  @HttpCode(200)
  @RequirePermissions('sessions:revoke')
  @ApiProblemResponses(404)
  async revokeAllSessions(
    @UserIdParam() id: string,
    @Body() body: AdminActionReasonDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<SessionsRevokedResponseDto> {
    const count = await this.users.revokeSessions({ principal, client }, id, body.reason);
    return { sessions_revoked: count };
  }

  /** Mails the account a password-reset link. */
  @Post(':id/password-reset')
  @HttpCode(202)
  @RequirePermissions('users:reset-password')
  @ApiProblemResponses(404, 409)
  async sendPasswordReset(
    @UserIdParam() id: string,
    @Body() body: AdminActionReasonDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<void> {
    await this.users.sendPasswordReset({ principal, client }, id, body.reason);
  }

  /**
   * Removes the account's second factors and recovery codes, for an owner who lost their
   * authenticator app and proved who they are another way. Every session ends (its devices
   * are forgotten), the owner is mailed and sees `mfa_reset_by_admin` in their events; the
   * audit entry records which methods went and `reason`. 409 `mfa-not-enabled` when it has
   * none. Needs your own second factor within 5 minutes, if you have one.
   */
  @Post(':id/mfa/reset')
  @HttpCode(200)
  @RequirePermissions('users:reset-mfa')
  @RequireRecentSecondFactor()
  @ApiProblemResponses(404, 409)
  async resetSecondFactor(
    @UserIdParam() id: string,
    @Body() body: ResetUserMfaDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<MfaResetResponseDto> {
    const reset = await this.users.resetSecondFactor({ principal, client }, id, body.reason);
    return { removed_methods: [...reset.removedMethods], sessions_revoked: reset.sessionsRevoked };
  }

  /**
   * Opens a session of the account for support and answers its tokens, as a login does. It
   * ends `IMPERSONATION_MAX_MINUTES` (at most 60) after it starts, refreshes included; its
   * access tokens carry `act: {"sub": "<your user id>"}` (RFC 8693). It cannot change the
   * password or email, delete the account, or use any /admin route. The owner sees it in
   * their sessions and events. Administrators cannot be impersonated (403), nor yourself
   * (422), nor a disabled account (409).
   */
  @Post(':id/impersonate')
  @HttpCode(200)
  @RequirePermissions('users:impersonate')
  @ApiProblemResponses(404, 409)
  async impersonateUser(
    @UserIdParam() id: string,
    @Body() body: ImpersonateUserDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<TokenPairResponseDto> {
    const tokens = await this.impersonation.impersonate({ principal, client }, id, body.reason);
    return {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      token_type: 'bearer',
      expires_in: tokens.expiresIn,
    };
  }
}
