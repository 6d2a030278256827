import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponses } from '../../common/api-problem-responses.decorator.js';
import { Public } from '../../common/public.decorator.js';
import { JwksResponseDto, type PublicJwkDto } from './dto/jwks-response.dto.js';
import { OpenIdConfigurationResponseDto } from './dto/openid-configuration-response.dto.js';
import { SigningKeysService } from './signing-keys.service.js';

/** What other services read to verify our tokens with no shared secret (issue #22). */
@ApiTags('keys')
@Controller('.well-known')
export class WellKnownController {
  constructor(private readonly keys: SigningKeysService) {}

  /**
   * The public keys (RFC 7517). Cacheable for SIGNING_KEY_ACTIVATION_DELAY_SECONDS: a new key
   * is published that long before it signs.
   */
  @Public()
  @Get('jwks.json')
  @ApiProblemResponses()
  jwks(@Res({ passthrough: true }) reply: FastifyReply): JwksResponseDto {
    void reply.header('cache-control', this.keys.jwksCacheControl);
    return { keys: this.keys.publishedJwks() as PublicJwkDto[] };
  }

  /** Discovery (OpenID Connect Discovery 1.0, RFC 8414): issuer, `jwks_uri`, algorithms. */
  @Public()
  @Get('openid-configuration')
  @ApiProblemResponses()
  openIdConfiguration(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): OpenIdConfigurationResponseDto {
    void reply.header('cache-control', this.keys.jwksCacheControl);
    return this.keys.discoveryDocument();
  }
}
