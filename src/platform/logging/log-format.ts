/** `json`: one JSON object a line, for collectors. `pretty`: lines a person reads. */
export type LogFormat = 'json' | 'pretty';

/**
 * The format of the log on stdout. `auto` is readable lines when a person is watching (a
 * terminal, outside production) and JSON otherwise: a pipe, a file, a collector, the bench.
 */
export function chooseLogFormat(
  setting: LogFormat | 'auto',
  production: boolean,
  stdoutIsTerminal: boolean,
): LogFormat {
  if (setting !== 'auto') return setting;
  return stdoutIsTerminal && !production ? 'pretty' : 'json';
}
