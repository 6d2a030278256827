import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { CurrentPrincipal, RequestClient } from '../common/request-context.decorators.js';
import { RequirePermissions } from '../authorization/require-permissions.decorator.js';
import type { Principal } from '../tokens/access-token.js';
import {
  SigningKeyRotationService,
  type KeyActor,
} from '../tokens/signing-keys/signing-key-rotation.service.js';
import { ImportSigningKeyDto } from './dto/import-signing-key.dto.js';
import { SigningKeyResponseDto } from './dto/signing-key-response.dto.js';

/** The audit log names the administrator by their username now, as for other admin actions. */
const actorOf = (principal: Principal, client: ClientInfo): KeyActor => ({
  userId: principal.userId,
  label: principal.user.username,
  client,
});

/** Access-token signing keys (issue #22). Every change is audited. */
@ApiTags('admin')
@Controller('admin/keys')
export class AdminKeysController {
  constructor(private readonly rotation: SigningKeyRotationService) {}

  /** Every key ever published, newest first, with its state now. */
  @Get()
  @RequirePermissions('keys:read')
  async listKeys(): Promise<SigningKeyResponseDto[]> {
    return (await this.rotation.list()).map((key) => SigningKeyResponseDto.from(key));
  }

  /**
   * Publishes a new key at once; it signs after SIGNING_KEY_ACTIVATION_DELAY_SECONDS, and the
   * key it replaces is retired once every token it signed has expired. 409 while a rotation is
   * pending or under JWT_SIGNING_ALGORITHM=HS256.
   */
  @Post('rotate')
  @HttpCode(201)
  @RequirePermissions('keys:write')
  @ApiProblemResponses(409)
  async rotateKey(
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<SigningKeyResponseDto> {
    return SigningKeyResponseDto.from(await this.rotation.rotate(actorOf(principal, client)));
  }

  /**
   * Withdraws a key now: the tokens it signed are refused from now on (a key thought
   * compromised). 409 for the key that signs: rotate first.
   */
  @Post(':kid/retire')
  @HttpCode(200)
  @RequirePermissions('keys:write')
  @ApiProblemResponses(404, 409)
  async retireKey(
    @Param('kid') kid: string,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<SigningKeyResponseDto> {
    const key = await this.rotation.retire(actorOf(principal, client), kid);
    return SigningKeyResponseDto.from(key);
  }

  /**
   * Publishes a private key brought from elsewhere (a file, an HSM export) on the rotation's
   * schedule: sealed in the database, in the JWKS at once, signing after the delay. 422 for a
   * key that cannot sign under JWT_SIGNING_ALGORITHM, 409 for one already in the store or
   * while a rotation is pending. The response is the public view only.
   */
  @Post('import')
  @HttpCode(201)
  @RequirePermissions('keys:write')
  @ApiProblemResponses(409, 422)
  async importKey(
    @Body() dto: ImportSigningKeyDto,
    @CurrentPrincipal() principal: Principal,
    @RequestClient() client: ClientInfo,
  ): Promise<SigningKeyResponseDto> {
    const key = await this.rotation.importKey(actorOf(principal, client), dto.private_key);
    return SigningKeyResponseDto.from(key);
  }
}
