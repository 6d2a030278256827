import { NotWhileImpersonating } from '../authorization/not-while-impersonating.decorator.js';
import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { ClientInfo } from '../common/http/client-address.js';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import { Public } from '../common/public.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import { RequireRecentSecondFactor } from '../mfa/step-up.guard.js';
import { AccountService } from './account.service.js';
import {
  ChangeEmailDto,
  ChangePasswordDto,
  DeleteAccountDto,
  ForgotPasswordDto,
  ResetPasswordDto,
  VerificationRequestDto,
  VerifyEmailDto,
} from './dto/account.dto.js';
import { MessageResponseDto } from '../common/dto/message-response.dto.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';

/** Email verification, password reset, and the signed-in user's own changes (issue #4). */
@ApiTags('account')
@Controller('auth')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  /** Follows the link of a verification mail, or of a new-address confirmation. */
  @Public()
  @Post('verify-email')
  @HttpCode(200)
  @ApiProblemResponses(400, 409)
  async verifyEmail(
    @Body() dto: VerifyEmailDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.account.verifyEmail(dto.token, client);
    return { message: 'Email address confirmed' };
  }

  /**
   * Mails a new verification link if an account has this address and it is not verified yet;
   * the answer is the same either way. Needs no session: with REQUIRE_VERIFIED_EMAIL an
   * unverified account cannot sign in to ask for one.
   */
  @Public()
  @RateLimit('verify-email-request')
  @Post('verify-email/request')
  @HttpCode(202)
  @ApiProblemResponses()
  async requestVerification(
    @Body() dto: VerificationRequestDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.account.requestVerification(dto.email, client);
    return { message: 'If the address needs confirming, a new link is on its way' };
  }

  /** Mails a new verification link to the signed-in user; nothing if already verified. */
  @Post('verify-email/resend')
  @HttpCode(202)
  @BearerAuth()
  async resendVerification(@CurrentPrincipal() principal: Principal): Promise<MessageResponseDto> {
    await this.account.resendVerification(principal);
    return { message: 'If the address needs confirming, a new link is on its way' };
  }

  /** Mails a reset link if an account has this address. The answer is the same either way. */
  @Public()
  @RateLimit('forgot-password')
  @Post('forgot-password')
  @HttpCode(202)
  @ApiProblemResponses()
  async forgotPassword(
    @Body() dto: ForgotPasswordDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.account.requestPasswordReset(dto.email, client);
    return { message: 'If an account has this address, a reset link is on its way' };
  }

  /** Sets a new password with the token from the reset mail; every session is signed out. */
  @Public()
  @Post('reset-password')
  @HttpCode(200)
  @ApiProblemResponses(400)
  async resetPassword(
    @Body() dto: ResetPasswordDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.account.resetPassword(dto.token, dto.new_password, client);
    return { message: 'Password changed; sign in with the new one' };
  }

  /**
   * Changes the password; every other session is signed out, this one stays. An account with
   * no password (opened through a provider) gets 409 `password-not-set`: forgot password sets
   * one. So do the email change and the deletion.
   */
  @Post('change-password')
  @HttpCode(200)
  @BearerAuth()
  @NotWhileImpersonating('change the password')
  @RequireRecentSecondFactor()
  @ApiProblemResponses(403, 409)
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.account.changePassword(principal, dto.current_password, dto.new_password, client);
    return { message: 'Password changed; other sessions were signed out' };
  }

  /** Mails a confirmation link to the new address; the email changes once it is followed. */
  @Post('change-email')
  @HttpCode(202)
  @BearerAuth()
  @NotWhileImpersonating('change the email address')
  @RequireRecentSecondFactor()
  @ApiProblemResponses(403, 409)
  async changeEmail(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangeEmailDto,
    @RequestClient() client: ClientInfo,
  ): Promise<MessageResponseDto> {
    await this.account.requestEmailChange(principal, dto.new_email, dto.password, client);
    return { message: 'Follow the link mailed to the new address to finish the change' };
  }

  /**
   * Deletes the account with its sessions and history; the email and username become free.
   * The only active administrator cannot (409 `last-administrator`).
   */
  @Delete('me')
  @HttpCode(204)
  @BearerAuth()
  @NotWhileImpersonating('delete the account')
  @RequireRecentSecondFactor()
  @ApiProblemResponses(403, 409)
  async deleteAccount(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: DeleteAccountDto,
  ): Promise<void> {
    await this.account.deleteAccount(principal, dto.password);
  }
}
