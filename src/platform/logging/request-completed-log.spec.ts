import { setImmediate as endOfTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRootLogger } from './app-logger.js';
import { REDACTED } from './redact-secrets.js';
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

  it('writes one JSON line: level, time, service, the five fields and the message', () => {
    const { logger, writes } = serviceLogger();
    logRequestCompleted(logger, answered);

    expect(writes).toEqual([
      '{"level":30,"time":"2026-11-29T22:41:07.042Z","service":"whazz-audio-auth",' +
        '"request_id":"c0a8e4b2-1f0e-4c7a-9d2b-6a1e2f3b4c5d","method":"GET","path":"/auth/me",' +
        '"status":200,"ms":3,"msg":"request completed"}\n',
    ]);
  });

  it('escapes what JSON must escape in the path and the id', () => {
    const { logger, writes } = serviceLogger();
    const odd = { ...answered, request_id: 'edge:1.2_3', path: '/a"b\\c/é\u0001' };
    logRequestCompleted(logger, odd);

    expect(JSON.parse(writes[0]!)).toMatchObject(odd);
  });

  it("names the caller's own request id beside ours only when it sent one", () => {
    const { logger, writes } = serviceLogger();
    logRequestCompleted(logger, { ...answered, client_request_id: 'client-req-42' });
    logRequestCompleted(logger, { ...answered, client_request_id: undefined });

    expect(JSON.parse(writes[0]!)).toMatchObject({ client_request_id: 'client-req-42' });
    expect(writes[1]).not.toContain('client_request_id');
  });

  it('goes through the service logger, redaction included', () => {
    const { logger, writes } = serviceLogger();
    logRequestCompleted(logger, { ...answered, token: 'eyJ.secret' } as RequestCompleted);

    expect(writes[0]).not.toContain('eyJ.secret');
    expect(JSON.parse(writes[0]!)).toMatchObject({ token: REDACTED });
  });

  it('logs an answer of 500 or more at warn, and nothing below the configured level', () => {
    const { logger, writes } = serviceLogger('warn');
    logRequestCompleted(logger, answered);
    logRequestCompleted(logger, { ...answered, status: 503 });

    expect(writes.map((text) => JSON.parse(text) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 40, status: 503, msg: 'request completed' }),
    ]);
  });

  it('lets the batching stdout see its level, so a line after a warning waits for the turn end', async () => {
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
