import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogFormat } from './log-format.js';
import { PrettyLogStream } from './pretty-log-stream.js';
import { redactSecrets } from './redact-secrets.js';
import { TurnBatchedStdout } from './turn-batched-stdout.js';

/**
 * Name, message, code and stack only. pino's default copies every enumerable property, and
 * TypeORM's QueryFailedError carries the query's parameters: password hashes, token hashes.
 */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const withCode = error as Error & { code?: unknown; driverError?: { code?: unknown } };
  return {
    type: error.name,
    message: error.message,
    code: withCode.code ?? withCode.driverError?.code,
    stack: error.stack,
  };
}

/**
 * JSON lines to stdout, or to `destination` (the tests capture them). Written synchronously,
 * batched per event-loop turn (`TurnBatchedStdout`): pino's default destination writes from
 * the thread pool, so a crash would lose the last lines and a stalled log reader would grow
 * its buffer without bound. `pretty` turns each JSON line into text on its way there.
 */
export function createRootLogger(
  level: string,
  service: string,
  { format = 'json', destination }: { format?: LogFormat; destination?: DestinationStream } = {},
): PinoLogger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (line: Record<string, unknown>) => redactSecrets(line) as Record<string, unknown>,
    },
    serializers: { err: serializeError },
  };
  const out = destination ?? new TurnBatchedStdout();
  return pino(options, format === 'pretty' ? new PrettyLogStream(out) : out);
}

/** Nest's logger interface over pino, so framework and app lines share one JSON stream. */
export class AppLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?)
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    // An object is a structured line ({ msg, err, ids }), as write() takes it: String() of it
    // logged "[object Object]" and lost why a mail, TOTP or webhook delivery failed.
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.root.error({ context, stack, ...message });
    } else {
      this.root.error({ context, stack }, String(message));
    }
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(
    level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    context?: string,
  ): void {
    if (typeof message === 'object' && message !== null) {
      this.root[level]({ context, ...message });
    } else {
      this.root[level]({ context }, String(message));
    }
  }
}
