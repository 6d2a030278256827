import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Configuration } from '../config/configuration.js';
import { MfaFactor } from './entities/mfa-factor.entity.js';
import { SecretCipher } from '../platform/crypto/secret-cipher.js';
import { TotpFactorsService } from './totp-factors.service.js';

/**
 * The sealed TOTP secrets and their keys alone: MfaModule builds on it, and `npm run mfa`
 * needs nothing more (no HTTP, mail or sessions).
 */
@Module({
  imports: [TypeOrmModule.forFeature([MfaFactor])],
  providers: [
    {
      provide: SecretCipher,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Configuration, true>) => {
        const { currentKey, previousKeys } = config.get('mfa', { infer: true });
        return new SecretCipher(currentKey, previousKeys);
      },
    },
    TotpFactorsService,
  ],
  exports: [TotpFactorsService],
})
export class MfaSecretsModule {}
