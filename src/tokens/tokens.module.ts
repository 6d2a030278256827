import { Module } from '@nestjs/common';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { SigningKeysModule } from './signing-keys/signing-keys.module.js';
import { TokenService } from './token.service.js';
import { VerifiedAccessTokens } from './verified-access-tokens.js';

/** Issuing and verifying access tokens, and the memory of tokens already verified (issue #3). */
@Module({
  imports: [SigningKeysModule],
  providers: [TokenService, AccessTokenVerifier, VerifiedAccessTokens],
  exports: [TokenService, AccessTokenVerifier, VerifiedAccessTokens],
})
export class TokensModule {}
