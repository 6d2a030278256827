import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRootLogger } from './app-logger.js';

describe('createRootLogger', () => {
  it('writes to stdout synchronously, so a crash loses no line already logged', () => {
    const logger = createRootLogger('info', 'whazz-audio-auth');
    const stream = (logger as unknown as Record<symbol, { fd: number; sync: boolean }>)[
      pino.symbols.streamSym
    ]!;
    expect(stream.fd).toBe(1);
    expect(stream.sync).toBe(true);
  });
});
