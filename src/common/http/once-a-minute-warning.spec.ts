import type { Logger as PinoLogger } from 'pino';
import { describe, expect, it } from 'vitest';
import { OnceAMinuteWarning } from './once-a-minute-warning.js';

function recordingLogger(): { logger: PinoLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = { warn: (line: Record<string, unknown>) => lines.push(line) };
  return { logger: logger as unknown as PinoLogger, lines };
}

describe('OnceAMinuteWarning', () => {
  it('logs the first at once, then counts the rest of the minute into the next line', () => {
    const { logger, lines } = recordingLogger();
    const warning = new OnceAMinuteWarning(logger, 'turned away', { status: 408 });
    warning.note('10.0.0.1', 1_000);
    warning.note('10.0.0.2', 2_000);
    warning.note('10.0.0.3', 60_999);
    expect(lines).toEqual([{ msg: 'turned away', status: 408, address: '10.0.0.1', count: 1 }]);
    warning.note('10.0.0.4', 61_000);
    expect(lines[1]).toEqual({ msg: 'turned away', status: 408, address: '10.0.0.4', count: 3 });
  });
});
