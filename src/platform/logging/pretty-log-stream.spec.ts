import { setImmediate as endOfTurn } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AppLogger, createRootLogger } from './app-logger.js';
import { REDACTED } from './redact-secrets.js';
import { logRequestCompleted } from './request-completed-log.js';
import { TurnBatchedStdout } from './turn-batched-stdout.js';

const TIME = String.raw`\[\d\d:\d\d:\d\d\.\d{3}\]`;

function prettyLogger() {
  const writes: string[] = [];
  const logger = createRootLogger('info', 'whazz-audio-auth', {
    format: 'pretty',
    destination: { write: (text: string) => void writes.push(text) },
  });
  const text = () => writes.map((line) => stripVTControlCharacters(line));
  return { logger, writes, text };
}

describe('PrettyLogStream (LOG_FORMAT=pretty)', () => {
  it('writes a line a person reads: time, level, context and message, no JSON', () => {
    const { logger, text } = prettyLogger();
    new AppLogger(logger).log('listening on http://127.0.0.1:8000', 'Bootstrap');

    expect(text()).toHaveLength(1);
    expect(text()[0]).toMatch(
      new RegExp(`^${TIME} INFO: \\[Bootstrap\\] listening on http://127\\.0\\.0\\.1:8000\\n$`),
    );
    expect(text()[0]).not.toMatch(/[{}]|"msg"|whazz-audio-auth/);
  });

  it('writes the hand-made request-completed line as one line with its fields', () => {
    const { logger, text } = prettyLogger();
    logRequestCompleted(logger, {
      request_id: 'r-1',
      method: 'GET',
      path: '/auth/me',
      status: 200,
      ms: 3,
    });

    expect(text()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${TIME} INFO: request completed request_id=r-1 method=GET path=/auth/me status=200 ms=3\\n$`,
        ),
      ),
    ]);
  });

  it('blanks secrets as the JSON lines do', () => {
    const { logger, writes } = prettyLogger();
    logger.warn(
      { password: 'hunter2 hunter2', body: { refresh_token: 'rt-secret' }, user: 'ana' },
      'signup refused',
    );

    const line = writes.join('');
    expect(line).toContain('signup refused');
    expect(line).toContain(`password=${REDACTED}`);
    expect(line).toContain('user=ana');
    expect(line).not.toContain('hunter2');
    expect(line).not.toContain('rt-secret');
  });

  it('escapes control characters, so a logged value cannot drive the terminal', () => {
    const { logger, writes } = prettyLogger();
    logger.info({ path: '/\u001b[2Jx' }, 'odd \u001b]0;title\u0007 request');

    const line = writes.join('');
    expect(line).not.toContain('\u001b[2J');
    expect(line).not.toContain('\u001b]0;');
    expect(line).toContain(String.raw`path="/\u001b[2Jx"`);
    expect(line).toContain(String.raw`odd \u001b]0;title\u0007 request`);
  });

  it('lays out an error with its stack below the message', () => {
    const { logger, text } = prettyLogger();
    logger.error({ err: new Error('connection refused') }, 'unhandled error');

    const [line] = text();
    expect(line).toMatch(new RegExp(`^${TIME} ERROR: unhandled error\\n`));
    expect(line).toContain('Error: connection refused');
    expect(line).toMatch(/\n\s+at /);
  });

  it('passes the level on to the batching stdout: a warning at once, info by the turn end', async () => {
    const writes: string[] = [];
    const logger = createRootLogger('info', 'whazz-audio-auth', {
      format: 'pretty',
      destination: new TurnBatchedStdout({ write: (text: string) => void writes.push(text) }),
    });
    logger.info('waits');
    expect(writes).toEqual([]);
    logRequestCompleted(logger, { request_id: 'r', method: 'GET', path: '/', status: 503, ms: 1 });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/waits[\s\S]*request completed/);

    logRequestCompleted(logger, { request_id: 'r', method: 'GET', path: '/', status: 200, ms: 1 });
    expect(writes).toHaveLength(1);
    await endOfTurn();
    expect(writes).toHaveLength(2);
  });
});
