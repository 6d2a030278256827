import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NotWhileImpersonating } from '../authorization/not-while-impersonating.decorator.js';
import { RequireRecentSecondFactor } from '../mfa/step-up.guard.js';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { RequestValidationError } from '../common/problem.exception.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import type { Principal } from '../tokens/access-token.js';
import { IdentityResponseDto } from './dto/oauth.dto.js';
import { IdentitiesService } from './identities.service.js';
import { AccountLinkingService } from './account-linking.service.js';

@ApiTags('social login')
@Controller('auth/identities')
export class IdentitiesController {
  constructor(
    private readonly identities: IdentitiesService,
    private readonly linking: AccountLinkingService,
  ) {}

  /** The providers that sign the signed-in user in, oldest link first. */
  @Get()
  @BearerAuth()
  async list(@CurrentPrincipal() principal: Principal): Promise<IdentityResponseDto[]> {
    return (await this.identities.listForUser(principal.userId)).map((identity) =>
      IdentityResponseDto.from(identity),
    );
  }

  /** Unlinks a provider; refused (409) when the account would be left no way to sign in. */
  @Delete(':id')
  @HttpCode(204)
  @BearerAuth()
  @NotWhileImpersonating('unlink a sign-in provider')
  @RequireRecentSecondFactor()
  @ApiProblemResponses(403, 404, 409)
  async unlink(
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
    await this.linking.unlink(principal.userId, id, client);
  }
}
