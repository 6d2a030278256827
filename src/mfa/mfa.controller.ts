import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NotWhileImpersonating } from '../authorization/not-while-impersonating.decorator.js';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { MessageResponseDto } from '../common/dto/message-response.dto.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import { ConfirmTotpDto, SecondFactorCheckDto, TotpSetupDto } from './dto/mfa.dto.js';
import {
  MfaStatusResponseDto,
  RecoveryCodesResponseDto,
  TotpSetupResponseDto,
} from './dto/mfa-response.dto.js';
import { MfaService } from './mfa.service.js';
import { OpenBeforeMfaEnrolment } from './open-before-mfa-enrolment.decorator.js';

const proofOf = (dto: SecondFactorCheckDto) => ({
  code: dto.code,
  recoveryCode: dto.recovery_code,
});

/** Enrolling and managing the signed-in user's second factor (issue #20). */
@ApiTags('mfa')
@Controller('auth/mfa')
@BearerAuth()
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  /** What second factors the account has, and how many recovery codes remain. */
  @Get()
  @OpenBeforeMfaEnrolment()
  async status(@CurrentPrincipal() principal: Principal): Promise<MfaStatusResponseDto> {
    return MfaStatusResponseDto.from(await this.mfa.status(principal.userId));
  }

  /**
   * Starts a TOTP setup: a new secret, its `otpauth://` URI and QR code. Nothing changes
   * until it is confirmed; 409 `mfa-already-enabled` while one is on (disable it first). An
   * account without a password (opened through a provider) sends none: a sign-in of the last
   * 5 minutes confirms it instead (else 403 `recent-sign-in-required`).
   */
  @Post('totp/setup')
  @HttpCode(200)
  @OpenBeforeMfaEnrolment()
  @NotWhileImpersonating('set up two-step verification')
  @ApiProblemResponses(403, 409)
  async setup(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: TotpSetupDto,
  ): Promise<TotpSetupResponseDto> {
    return TotpSetupResponseDto.from(await this.mfa.setup(principal, dto.password));
  }

  /**
   * Turns TOTP on with a code from the app; answers the recovery codes, shown once. On a
   * session limited to enrolment (`mfa-enrolment-required`), the next POST /auth/refresh
   * answers tokens that reach every route, with `amr` `["pwd","otp"]`.
   */
  @Post('totp/confirm')
  @HttpCode(200)
  @OpenBeforeMfaEnrolment()
  @RateLimit('mfa-confirm')
  @NotWhileImpersonating('set up two-step verification')
  @ApiProblemResponses(403, 409)
  async confirm(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ConfirmTotpDto,
    @RequestClient() client: ClientInfo,
  ): Promise<RecoveryCodesResponseDto> {
    return { recovery_codes: await this.mfa.confirm(principal, dto.code, client) };
  }

  /**
   * New recovery codes; the earlier ones stop working. Needs the password (for an account
   * without one, a sign-in of the last 5 minutes) and a code.
   */
  @Post('recovery-codes/regenerate')
  @HttpCode(200)
  @NotWhileImpersonating('change two-step verification')
  @ApiProblemResponses(403, 409)
  async regenerateRecoveryCodes(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: SecondFactorCheckDto,
    @RequestClient() client: ClientInfo,
  ): Promise<RecoveryCodesResponseDto> {
    const codes = await this.mfa.regenerateRecoveryCodes(
      principal,
      dto.password,
      proofOf(dto),
      client,
    );
    return { recovery_codes: codes };
  }

  /**
   * Turns TOTP off; every other session is signed out. Needs the password (for an account
   * without one, a sign-in of the last 5 minutes) and a code.
   */
  @Post('totp/disable')
  @HttpCode(200)
  @NotWhileImpersonating('change two-step verification')
  @ApiProblemResponses(403, 409)
  async disable(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: SecondFactorCheckDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.mfa.disable(principal, dto.password, proofOf(dto), client);
    return { message: 'Two-step verification is off; other sessions were signed out' };
  }
}
