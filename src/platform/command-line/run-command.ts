import {
  InvalidEnvironmentError,
  loadConfiguration,
  type Configuration,
} from '../../config/configuration.js';

/** What a command-line entry (`npm run admin`, `keys`, `mfa`) prints, and its exit code. */
export interface CliOutcome {
  exitCode: number;
  output: string;
}

/**
 * The script side of a command-line entry: the service's own settings (refused settings print
 * as they do for the service, exit 1), the command's output on stdout, or on stderr when it
 * failed, and its exit code. The command itself stays a function tests call directly.
 */
export async function runAsScript(
  command: (args: readonly string[], configuration: Configuration) => Promise<CliOutcome>,
): Promise<never> {
  let configuration: Configuration;
  try {
    configuration = loadConfiguration();
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    process.stderr.write(`${error.message}\nSee docs/configuration.md.\n`);
    process.exit(1);
  }
  const { exitCode, output } = await command(process.argv.slice(2), configuration);
  (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
  process.exit(exitCode);
}
