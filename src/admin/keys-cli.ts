import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { ProblemException } from '../common/problem.exception.js';
import type { Configuration } from '../config/configuration.js';
import { runAsScript, type CliOutcome } from '../platform/command-line/run-command.js';
import { SigningKeyRotationService } from '../tokens/signing-keys/signing-key-rotation.service.js';
import type { SigningKeyView } from '../tokens/signing-keys/signing-key-view.js';
import { AdminCliModule } from './admin-cli.js';

const USAGE = `Usage: npm run keys -- <command>
  list                   every signing key, newest first, with its state
  rotate                 publish a new key; it signs after SIGNING_KEY_ACTIVATION_DELAY_SECONDS
  import <file>          publish a private key from a PEM (PKCS #8) or JWK file, as rotate does;
                         it is sealed in the database, the file can be deleted afterwards
  import --from-env VAR  the same, the key read from the environment variable VAR
  retire <kid>           withdraw a key now: the tokens it signed are refused from then on`;

/** What `import` was given, or why it cannot be read (a one-line refusal, never the contents). */
async function keyToImport(args: readonly string[]): Promise<string | CliOutcome> {
  const [, source, variable] = args;
  if (source === '--from-env') {
    // An input named on the command line, not a setting: read as given, like the file.
    const value = process.env[variable!];
    return value?.trim() ? value : { exitCode: 1, output: `${variable} is not set or empty.` };
  }
  try {
    return await readFile(source!, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return { exitCode: 1, output: `Cannot read ${source} (${code}).` };
  }
}

const IMPORTED = 'Imported and sealed in the database: the file (or variable) is no longer needed.';

const describe = (key: SigningKeyView) =>
  [
    key.kid,
    key.algorithm,
    key.state.padEnd(10),
    `published ${key.publishedAt.toISOString()}`,
    `signs from ${key.activeFrom.toISOString()}`,
    key.retiredAt ? `retired ${key.retiredAt.toISOString()}` : '',
  ]
    .join('  ')
    .trimEnd();

/** Runs one command (issue #22); what it prints and the exit code (2: usage, 1: refused). */
export async function runKeysCli(
  args: readonly string[],
  configuration: Configuration,
): Promise<CliOutcome> {
  const [command, kid] = args;
  const valid =
    ((command === 'list' || command === 'rotate') && args.length === 1) ||
    (command === 'retire' && args.length === 2) ||
    (command === 'import' && args.length === (args[1] === '--from-env' ? 3 : 2));
  if (!valid) return { exitCode: 2, output: USAGE };
  const privateKey = command === 'import' ? await keyToImport(args) : undefined;
  if (typeof privateKey === 'object') return privateKey;
  const context = await NestFactory.createApplicationContext(
    AdminCliModule.forRoot(configuration),
    { logger: ['error', 'warn'] },
  );
  try {
    const rotation = context.get(SigningKeyRotationService);
    // The audit log names the operating-system user who ran it.
    const actor = { userId: null, label: `cli:${userInfo().username}` };
    const output =
      command === 'list'
        ? (await rotation.list()).map(describe).join('\n')
        : command === 'rotate'
          ? describe(await rotation.rotate(actor))
          : privateKey !== undefined
            ? `${describe(await rotation.importKey(actor, privateKey))}\n${IMPORTED}`
            : describe(await rotation.retire(actor, kid!));
    return { exitCode: 0, output };
  } catch (error) {
    if (error instanceof ProblemException) return { exitCode: 1, output: error.problem.detail };
    throw error;
  } finally {
    await context.close();
  }
}

// Run as a script (node dist/src/admin/keys-cli.js), not when a test imports it.
if (process.argv[1]?.endsWith('keys-cli.js')) void runAsScript(runKeysCli);
