import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { RequestLogger } from './request-logger.js';

function capturedRoot() {
  const lines: Record<string, unknown>[] = [];
  const root = pino(
    { base: undefined, timestamp: false },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { root, lines };
}

describe('RequestLogger', () => {
  it('makes no child logger for a request that logs nothing through it', () => {
    const { root } = capturedRoot();
    const child = vi.spyOn(root, 'child');
    new RequestLogger(root, { request_id: 'r-1' }, {});
    expect(child).not.toHaveBeenCalled();
  });

  it('logs with the request id bound in, through one child made on first use', () => {
    const { root, lines } = capturedRoot();
    const child = vi.spyOn(root, 'child');
    const logger = new RequestLogger(root, { request_id: 'r-1' }, {});
    logger.warn({ status: 503 }, 'database unavailable');
    logger.error('unhandled error');
    logger.debug('below the level');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([
      { level: 40, request_id: 'r-1', status: 503, msg: 'database unavailable' },
      { level: 50, request_id: 'r-1', msg: 'unhandled error' },
    ]);
    expect(logger.level).toBe('info');
  });
});
