import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MfaVerifyDto } from '../mfa/dto/mfa.dto.js';
import { OpenBeforeMfaEnrolment } from '../mfa/open-before-mfa-enrolment.decorator.js';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import { Public } from '../common/public.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { MeResponseDto } from './dto/me-response.dto.js';
import { whenReady, type MaybePromise } from '../platform/maybe-promise.js';
import type { User } from '../users/entities/user.entity.js';
import type { Principal } from '../tokens/access-token.js';
import { AuthService, type DeviceRequest, type TokenPair } from './auth.service.js';
import { LoginDto } from './dto/login.dto.js';
import type { DeviceTokenFields } from '../devices/dto/device-token-fields.dto.js';
import { LoginResponseDto } from './dto/login-response.dto.js';
import { MessageResponseDto } from '../common/dto/message-response.dto.js';
import { LogoutAllResponseDto } from './dto/logout-all-response.dto.js';
import { RefreshTokenDto } from './dto/refresh-token.dto.js';
import { SignupDto } from './dto/signup.dto.js';
import { TokenPairResponseDto } from './dto/token-pair-response.dto.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';
import {
  CurrentPrincipal,
  LoggedInUser,
  RequestClient,
} from '../common/request-context.decorators.js';

const toResponse = (pair: TokenPair): TokenPairResponseDto => TokenPairResponseDto.from(pair);

const toLoginResponse = ({ deviceToken, ...pair }: TokenPair): LoginResponseDto => ({
  ...toResponse(pair),
  ...(deviceToken && { device_token: deviceToken }),
});

/** A device token for the login: the one presented, or a new one if asked (issue #20). */
const deviceRequest = (dto: DeviceTokenFields): DeviceRequest | undefined =>
  dto.device_token !== undefined
    ? { presented: dto.device_token }
    : dto.request_device_token
      ? { presented: undefined }
      : undefined;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

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

  /**
   * Exchanges a username or email and a password for an access token, a refresh token and the
   * device token of this client (the one it sent, if the account knows it).
   */
  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  @UseGuards(LocalAuthGuard)
  @ApiBody({ type: LoginDto })
  @ApiProblemResponses(401, 403)
  @ApiResponse({
    status: 403,
    description:
      'The account is disabled, or (type `mfa-required`) has two-step verification: the body carries `mfa_token`, `methods` and `expires_in`; continue at POST /auth/mfa/verify',
  })
  async login(
    @LoggedInUser() user: User,
    @Body() dto: LoginDto,
    @RequestClient() client: ClientInfo,
  ): Promise<LoginResponseDto> {
    const via = { method: 'password' } as const;
    return toLoginResponse(await this.auth.login(user, client, via, deviceRequest(dto)));
  }

  /**
   * The second step of a login answered `403 mfa-required`: its `mfa_token` and a code from
   * the authenticator app, or a recovery code (spent). The token works for 5 minutes and 5
   * codes, from the client that logged in. `remember_device` spares this device the second
   * step for the next logins (it answers the `device_token` to present then).
   */
  @Public()
  @RateLimit('mfa-verify')
  @Post('mfa/verify')
  @HttpCode(200)
  @ApiTags('mfa')
  @ApiProblemResponses(401, 403)
  async verifySecondFactor(
    @Body() dto: MfaVerifyDto,
    @RequestClient() client: ClientInfo,
  ): Promise<LoginResponseDto> {
    const proof = { code: dto.code, recoveryCode: dto.recovery_code };
    const options = { deviceRequest: deviceRequest(dto), remember: dto.remember_device };
    return toLoginResponse(
      await this.auth.verifySecondFactor(dto.mfa_token, proof, client, options),
    );
  }

  /**
   * Exchanges a refresh token for a new pair; the old refresh token stops working. The same
   * token presented again within REFRESH_REUSE_GRACE_SECONDS (default 10) of its exchange,
   * while the new one is unused, gets that same new refresh token and a fresh access token
   * (concurrent refreshes, a lost response). Later, or once the new one was used, presenting
   * it ends its whole session.
   */
  @Public()
  @RateLimit('refresh')
  @Post('refresh')
  @HttpCode(200)
  @ApiProblemResponses(401, 403)
  @ApiResponse({
    status: 401,
    description:
      'The refresh token is unknown or its session ended (type `invalid-refresh-token`), or (type `refresh-token-reused`) an exchanged token came back after the grace or after its successor was used: the session is now revoked',
  })
  async refresh(
    @Body() dto: RefreshTokenDto,
    @RequestClient() client: ClientInfo,
  ): Promise<TokenPairResponseDto> {
    return toResponse(await this.auth.refresh(dto.refresh_token, client));
  }

  /** The signed-in user, with the roles they hold and the permissions those grant now. */
  @Get('me')
  @BearerAuth()
  @OpenBeforeMfaEnrolment()
  @ApiOkResponse({ type: MeResponseDto })
  @ApiProblemResponses(403)
  me(@CurrentPrincipal() principal: Principal): MaybePromise<MeResponseDto> {
    return whenReady(this.auth.grantsOf(principal), (grants) =>
      MeResponseDto.from(principal.user, grants),
    );
  }

  /** Ends this session: its access token and its refresh token stop working at once. */
  @Post('logout')
  @HttpCode(200)
  @BearerAuth()
  @OpenBeforeMfaEnrolment()
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
}
