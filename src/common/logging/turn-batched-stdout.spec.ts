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
});
