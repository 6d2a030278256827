import { setImmediate as endOfTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRootLogger } from './app-logger.js';
import { logRequestCompleted, type RequestCompleted } from './request-completed-log.js';
import { TurnBatchedStdout } from './turn-batched-stdout.js';

function serviceLogger(level = 'info') {
  const writes: string[] = [];
  const logger = createRootLogger(level, 'whazz-audio-auth', {
    destination: { write: (text: string) => void writes.push(text) },
  });
  return { logger, writes };
}

const answered: RequestCompleted = {
  request_id: 'c0a8e4b2-1f0e-4c7a-9d2b-6a1e2f3b4c5d',
  method: 'GET',
  path: '/auth/me',
  status: 200,
  ms: 3,
};

describe('logRequestCompleted', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 29, 22, 41, 7, 42));
  });
  afterEach(() => vi.useRealTimers());

  it.each([
    ['a plain request', answered],
    [
      'text that JSON must escape',
      { ...answered, request_id: 'edge:1.2_3', path: '/a"b\\c/é\u0001', method: 'DELETE' },
    ],
    [
      "the caller's own request id",
      {
        request_id: answered.request_id,
        client_request_id: 'client-req-42',
        method: answered.method,
        path: answered.path,
        status: answered.status,
        ms: answered.ms,
      },
    ],
    ['no caller request id', { ...answered, client_request_id: undefined }],
    ['a client error', { ...answered, status: 404, ms: 0 }],
    ['a duration that is not a number', { ...answered, ms: Number.NaN }],
  ])('writes %s exactly as pino writes it through the service logger', (_name, fields) => {
    const pinoWay = serviceLogger();
    pinoWay.logger.info(fields, 'request completed');
    const direct = serviceLogger();
    logRequestCompleted(direct.logger, fields);

    expect(direct.writes).toEqual(pinoWay.writes);
    expect(JSON.parse(direct.writes[0]!)).toMatchObject({ level: 30, service: 'whazz-audio-auth' });
  });

  it('logs an answer of 500 or more at warn, and nothing below the configured level', () => {
    const { logger, writes } = serviceLogger('warn');
    logRequestCompleted(logger, answered);
    logRequestCompleted(logger, { ...answered, status: 503 });

    expect(writes.map((text) => JSON.parse(text) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 40, status: 503, msg: 'request completed' }),
    ]);
  });

  it('tells the batching stdout its level, so a line after a warning waits for the turn end', async () => {
    const writes: string[] = [];
    const batcher = new TurnBatchedStdout({ write: (text: string) => void writes.push(text) });
    const logger = createRootLogger('info', 'whazz-audio-auth', { destination: batcher });
    logRequestCompleted(logger, { ...answered, status: 500 });
    expect(writes).toHaveLength(1);

    logRequestCompleted(logger, answered);
    expect(writes).toHaveLength(1);
    await endOfTurn();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('"status":200');
  });
});
