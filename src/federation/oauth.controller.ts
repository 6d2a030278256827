import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  Redirect,
  Req,
} from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { NotWhileImpersonating } from '../authorization/not-while-impersonating.decorator.js';
import { RequireRecentSecondFactor } from '../mfa/step-up.guard.js';
import type { FastifyRequest } from 'fastify';
import { TokenPairResponseDto } from '../auth/dto/token-pair-response.dto.js';
import { ApiProblemResponses, BearerAuth } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { Public } from '../common/public.decorator.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import {
  AuthorizeQueryDto,
  CompleteLinkDto,
  IdentityResponseDto,
  LinkProviderDto,
  LinkProviderResponseDto,
  OAuthTokenDto,
} from './dto/oauth.dto.js';
import { OAuthService, type AppReturn } from './oauth.service.js';

interface RedirectTo {
  url: string;
}

/** The raw query string, as the provider sent it: openid-client checks it whole. */
function queryOf(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at < 0 ? '' : request.url.slice(at + 1);
}

@ApiTags('social login')
@Controller('auth/oauth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  /**
   * Starts a sign-in with the provider: answers a redirect to it (with `state`, PKCE S256 and,
   * for OpenID Connect, `nonce`). The sign-in returns to `redirect_uri` within 10 minutes. A
   * `redirect_uri` that is not https needs the app's own `code_challenge` (400
   * `code-challenge-required`).
   */
  @Public()
  @RateLimit('oauth-authorize')
  @Get(':provider/authorize')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiFoundResponse({ description: 'To the provider; `Location` holds its authorization URL' })
  @ApiProblemResponses(404)
  async authorize(
    @Param('provider') provider: string,
    @Query() query: AuthorizeQueryDto,
  ): Promise<RedirectTo> {
    return { url: (await this.oauth.startSignIn(provider, appReturn(query))).href };
  }

  /**
   * Where the provider returns. Answers a redirect to the app's `redirect_uri` with a
   * one-time `code` (a linking: `link_code`), or with `error=` (`access_denied`,
   * `provider_error`, `invalid_provider_response`, `temporarily_unavailable`); the app's
   * `state` comes back too. Never a token in a URL. A missing, unknown, expired or used
   * `state` answers 400 `invalid-oauth-state` as JSON: there is no app to return to.
   */
  @Public()
  @RateLimit('oauth-authorize')
  @Get(':provider/callback')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiQuery({ name: 'state', required: false, type: String })
  @ApiQuery({ name: 'code', required: false, type: String })
  @ApiQuery({ name: 'error', required: false, type: String })
  @ApiFoundResponse({ description: 'To the app; `Location` holds `redirect_uri` and the answer' })
  @ApiProblemResponses(404)
  async callback(
    @Param('provider') provider: string,
    @Req() request: FastifyRequest,
    @RequestClient() client: ClientInfo,
  ): Promise<RedirectTo> {
    return { url: (await this.oauth.finishAtProvider(provider, queryOf(request), client)).href };
  }

  /**
   * Exchanges the one-time code from the redirect for a token pair. A provider account not
   * yet known whose email belongs to an account is linked only when both sides verified
   * that address (else `409 identity-link-required`); one matching no account opens one.
   */
  @Public()
  @RateLimit('oauth-token')
  @Post('token')
  @HttpCode(200)
  @ApiProblemResponses(403, 409)
  async token(
    @Body() dto: OAuthTokenDto,
    @RequestClient() client: ClientInfo,
  ): Promise<TokenPairResponseDto> {
    const pair = await this.oauth.exchangeLoginCode(dto.code, dto.code_verifier, client);
    return TokenPairResponseDto.from(pair);
  }

  /**
   * Starts linking the provider to the signed-in account: open `authorization_url` in the
   * browser (a redirect could not carry the bearer token). The provider returns to
   * `redirect_uri` with a one-time `link_code`, which POST /auth/oauth/link/complete takes
   * with this account's bearer token. Needs `current_password` when the account has one, else
   * a sign-in of the last 5 minutes.
   */
  @Post(':provider/link')
  @HttpCode(200)
  @BearerAuth()
  @NotWhileImpersonating('link a sign-in provider')
  @RequireRecentSecondFactor()
  @ApiOkResponse({ type: LinkProviderResponseDto })
  @ApiProblemResponses(403, 404, 409)
  async link(
    @CurrentPrincipal() principal: Principal,
    @Param('provider') provider: string,
    @Body() dto: LinkProviderDto,
  ): Promise<LinkProviderResponseDto> {
    const url = await this.oauth.startLink(
      principal,
      provider,
      appReturn(dto),
      dto.current_password,
    );
    return { authorization_url: url.href };
  }

  /**
   * Links the provider account the `link_code` stands for, when this bearer token's account is
   * the one that started linking. `409 identity-in-use` when it already signs in another.
   */
  @Post('link/complete')
  @HttpCode(200)
  @BearerAuth()
  @NotWhileImpersonating('link a sign-in provider')
  @RequireRecentSecondFactor()
  @ApiOkResponse({ type: IdentityResponseDto })
  @ApiProblemResponses(403, 409)
  async completeLink(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CompleteLinkDto,
    @RequestClient() client: ClientInfo,
  ): Promise<IdentityResponseDto> {
    const identity = await this.oauth.completeLink(principal, dto.code, dto.code_verifier, client);
    return IdentityResponseDto.from(identity);
  }
}

function appReturn(dto: AuthorizeQueryDto): AppReturn {
  return { redirectUri: dto.redirect_uri, appState: dto.state, codeChallenge: dto.code_challenge };
}
