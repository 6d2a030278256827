import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { Configuration } from '../config/configuration.js';
import { runAsScript, type CliOutcome } from '../platform/command-line/run-command.js';
import { DatabaseModule } from '../database/database.module.js';
import { MfaSecretsModule } from './mfa-secrets.module.js';
import { TotpFactorsService } from './totp-factors.service.js';

const USAGE = `Usage: npm run mfa -- <command>
  reseal    re-encrypt every TOTP secret under MFA_ENCRYPTION_KEY; run it only once every
            instance has that key (docs/security.md, second-factor key rotation)`;

/** The sealed secrets and the database, with the service's configuration; no HTTP. */
@Module({})
class MfaCliModule {
  static forRoot(configuration: Configuration): DynamicModule {
    return {
      module: MfaCliModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [() => ({ ...configuration })],
        }),
        DatabaseModule,
        MfaSecretsModule,
      ],
    };
  }
}

/** Runs one command; what it prints and the exit code (2: usage, 1: refused). */
export async function runMfaCli(
  args: readonly string[],
  configuration: Configuration,
): Promise<CliOutcome> {
  if (args.length !== 1 || args[0] !== 'reseal') return { exitCode: 2, output: USAGE };
  if (configuration.mfa.currentKey === null) {
    return { exitCode: 1, output: 'MFA_ENCRYPTION_KEY is not set: nothing to re-encrypt with.' };
  }
  const context = await NestFactory.createApplicationContext(MfaCliModule.forRoot(configuration), {
    logger: ['error', 'warn'],
  });
  try {
    const factors = context.get(TotpFactorsService);
    const resealed = await factors.resealWithCurrentKey();
    const unreadable = await factors.countUnreadable();
    const output = `${resealed} TOTP secret(s) re-encrypted under key ${configuration.mfa.currentKey.id}.`;
    if (unreadable === 0) return { exitCode: 0, output };
    return {
      exitCode: 1,
      output: `${output} ${unreadable} remain under a key that is not configured here.`,
    };
  } finally {
    await context.close();
  }
}

// Run as a script (node dist/src/mfa/mfa-cli.js), not when a test imports it.
if (process.argv[1]?.endsWith('mfa-cli.js')) void runAsScript(runMfaCli);
