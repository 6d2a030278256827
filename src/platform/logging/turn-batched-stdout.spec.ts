import { setImmediate as endOfTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TurnBatchedStdout } from './turn-batched-stdout.js';

function loggerOverBatcher() {
  const writes: string[] = [];
  const batcher = new TurnBatchedStdout({ write: (text: string) => void writes.push(text) });
  const logger = pino({ base: undefined, timestamp: false }, batcher);
  const messages = () => writes.map((text) => text.match(/"msg":"[^"]*"/g));
  return { logger, writes, messages };
}

describe('TurnBatchedStdout', () => {
  it('writes the info lines of one turn together, once the turn ends', async () => {
    const { logger, writes, messages } = loggerOverBatcher();
    logger.info('a');
    logger.info('b');
    expect(writes).toEqual([]);

    await endOfTurn();
    expect(messages()).toEqual([['"msg":"a"', '"msg":"b"']]);
  });

  it('writes a warning at once, after the lines that wait before it', async () => {
    const { logger, messages } = loggerOverBatcher();
    logger.info('a');
    logger.error('b');
    expect(messages()).toEqual([['"msg":"a"', '"msg":"b"']]);

    logger.info('c');
    await endOfTurn();
    expect(messages()).toEqual([['"msg":"a"', '"msg":"b"'], ['"msg":"c"']]);
  });

  it('writes at most 4096 bytes at a time, in whole lines, so workers sharing a pipe never interleave', async () => {
    const { logger, writes } = loggerOverBatcher();
    for (let i = 0; i < 100; i += 1) logger.info(`line ${i} ${'é'.repeat(40)}`);
    logger.info('x'.repeat(5000));
    await endOfTurn();

    expect(writes.length).toBeGreaterThan(2);
    for (const text of writes.slice(0, -1))
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(writes.at(-1)).toContain('x'.repeat(5000));
    const lines = writes.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(101);
    expect(writes.every((text) => text.endsWith('\n'))).toBe(true);
    expect(lines.slice(0, 100).map((line) => /line (\d+)/.exec(line)![1])).toEqual(
      Array.from({ length: 100 }, (_, i) => String(i)),
    );
  });
});
