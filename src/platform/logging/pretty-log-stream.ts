import type { DestinationStream } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import { PINO_METADATA } from './pino-metadata.js';

/** Keys pino-pretty shows in its own places (level, time), folded into the message, or dropped. */
const LINE_KEYS = new Set(['level', 'time', 'msg', 'context', 'service', 'pid', 'hostname']);
/** A value written bare after `key=`; anything else is quoted as JSON. */
const BARE_VALUE = /^[^\s"'=\\]+$/;
// eslint-disable-next-line no-control-regex -- the point: terminal control characters
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text a terminal prints as it is: a logged value cannot move the cursor or recolour it. */
function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function fieldText(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return BARE_VALUE.test(value) && printable(value) === value
    ? value
    : printable(JSON.stringify(value));
}

/**
 * The line as pino-pretty is to show it: the context and the plain fields folded into the
 * message (`[Bootstrap] listening on ...`, `request completed method=GET status=200 ...`), one
 * line where pino-pretty would give each field a line of its own. Multi-line text (a stack)
 * goes below it as it is; objects and errors stay fields, which pino-pretty lays out below.
 */
function readable(line: string): string | Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    parsed = undefined;
  }
  // Not a log object: pino-pretty passes text through as it is.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return printable(line.trimEnd());
  }
  const log = parsed as Record<string, unknown>;
  const shown: Record<string, unknown> = { level: log['level'], time: log['time'] };
  const words: string[] = [];
  const below: string[] = [];
  if (typeof log['context'] === 'string') words.push(`[${printable(log['context'])}]`);
  const message = log['msg'];
  if (typeof message === 'string') words.push(printable(message));
  else if (message !== undefined) words.push(printable(JSON.stringify(message)));
  for (const [key, value] of Object.entries(log)) {
    if (LINE_KEYS.has(key)) continue;
    if (typeof value === 'string' && value.includes('\n')) below.push(printable(value));
    else if (value === null || typeof value !== 'object') {
      words.push(`${printable(key)}=${fieldText(value as string | number | boolean | null)}`);
    } else shown[key] = value;
  }
  shown['msg'] = [words.join(' '), ...below].join('\n');
  return shown;
}

/**
 * Log lines for a person at a terminal (LOG_FORMAT=pretty): each JSON line pino writes, and
 * the request-completed line written beside pino, turned into text by pino-pretty's
 * formatter, in this thread and at once, then handed to `out`. pino-pretty's own stream
 * and transports pass lines on asynchronously, and lose the last ones when the process exits.
 * Secrets are blanked before the JSON line is made, so they are blank here too.
 */
export class PrettyLogStream implements DestinationStream {
  readonly [PINO_METADATA] = true as const;
  /** Set by pino before each write; passed on, for TurnBatchedStdout batches by level. */
  lastLevel = 0;
  private readonly prettify: (log: string | Record<string, unknown>) => string;

  constructor(
    private readonly out: DestinationStream,
    colorize: boolean = isColorSupported,
  ) {
    this.prettify = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l' });
  }

  write(line: string): void {
    const out = this.out as DestinationStream & Record<symbol, unknown> & { lastLevel?: number };
    if (out[PINO_METADATA]) out.lastLevel = this.lastLevel;
    out.write(this.prettify(readable(line)));
  }
}
