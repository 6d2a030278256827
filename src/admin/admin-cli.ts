import 'reflect-metadata';
import { userInfo } from 'node:os';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { ProblemException } from '../common/problem.exception.js';
import type { Configuration } from '../config/configuration.js';
import { runAsScript, type CliOutcome } from '../platform/command-line/run-command.js';
import { DatabaseModule } from '../database/database.module.js';
import { ChangeFeedModule } from '../platform/change-feed/change-feed.module.js';
import { CommandLineModule } from '../platform/command-line/command-line.module.js';
import { AdminCommands, UnknownAccountError } from './admin-commands.js';
import { AdminModule } from './admin.module.js';

const USAGE = `Usage: npm run admin -- <command>
  grant <role> <email-or-username>    give the account a role (e.g. admin)
  revoke <role> <email-or-username>   take a role away (never from the last administrator)
  list                                every role, its permissions and who holds it`;

/** The service's own modules, without HTTP: same configuration, database and change feed. */
@Module({})
export class AdminCliModule {
  static forRoot(configuration: Configuration): DynamicModule {
    return {
      module: AdminCliModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [() => ({ ...configuration })],
        }),
        DatabaseModule,
        ChangeFeedModule,
        CommandLineModule,
        AdminModule,
      ],
    };
  }
}

/** Runs one command; what it prints and the exit code (2: usage, 1: refused or failed). */
export async function runAdminCli(
  args: readonly string[],
  configuration: Configuration,
): Promise<CliOutcome> {
  const [command, role, login] = args;
  const valid =
    (command === 'list' && args.length === 1) ||
    ((command === 'grant' || command === 'revoke') && args.length === 3);
  if (!valid) return { exitCode: 2, output: USAGE };
  const context = await NestFactory.createApplicationContext(
    AdminCliModule.forRoot(configuration),
    { logger: ['error', 'warn'] },
  );
  try {
    const commands = context.get(AdminCommands);
    // The audit log names the operating-system user who ran it.
    const actor = { userId: null, label: `cli:${userInfo().username}` };
    const output =
      command === 'list'
        ? await commands.list()
        : command === 'grant'
          ? await commands.grant(actor, role!, login!)
          : await commands.revoke(actor, role!, login!);
    return { exitCode: 0, output };
  } catch (error) {
    if (error instanceof ProblemException) return { exitCode: 1, output: error.problem.detail };
    if (error instanceof UnknownAccountError) return { exitCode: 1, output: error.message };
    throw error;
  } finally {
    await context.close();
  }
}

// Run as a script (node dist/src/admin/admin-cli.js), not when a test imports it.
if (process.argv[1]?.endsWith('admin-cli.js')) void runAsScript(runAdminCli);
