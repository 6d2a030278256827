import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppLogger, createRootLogger } from './app-logger.js';

/** Runs `body` after making the service's root logger; returns its stdout lines and its end. */
function runLogging(body: string) {
  const script = `
    import { createRootLogger } from './src/platform/logging/app-logger.ts';
    const logger = createRootLogger('info', 'whazz-audio-auth');
    ${body}
  `;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      cwd: new URL('../../../', import.meta.url).pathname,
    },
  );
  const lines = child.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { i: number });
  return { lines: lines.map((line) => line.i), signal: child.signal, status: child.status };
}

describe('createRootLogger', () => {
  it('writes a warning, and every line before it, before the next statement: a SIGKILL loses none', () => {
    const run = runLogging(`
      for (let i = 0; i < 3; i += 1) logger.info({ i }, 'last words');
      logger.warn({ i: 3 }, 'something is wrong');
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(run.signal).toBe('SIGKILL');
    expect(run.lines).toEqual([0, 1, 2, 3]);
  });

  it('writes info lines by the end of the event-loop turn that made them', () => {
    const run = runLogging(`
      for (let i = 0; i < 3; i += 1) logger.info({ i }, 'request completed');
      setImmediate(() => setImmediate(() => process.kill(process.pid, 'SIGKILL')));
    `);
    expect(run.signal).toBe('SIGKILL');
    expect(run.lines).toEqual([0, 1, 2]);
  });

  it('writes pending info lines when the process exits', () => {
    const run = runLogging(`
      logger.info({ i: 0 }, 'request completed');
      process.exit(3);
    `);
    expect(run.status).toBe(3);
    expect(run.lines).toEqual([0]);
  });
});

describe('AppLogger.error', () => {
  it('logs an object message as its fields, not "[object Object]"', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const logger = new AppLogger(createRootLogger('info', 'test', { destination: sink }));
    logger.error({ msg: 'webhook delivery threw', delivery_id: '7' }, 'WebhookDeliveryWorker');
    logger.error('plain words', 'a stack', 'Context');
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'webhook delivery threw',
      delivery_id: '7',
      context: 'WebhookDeliveryWorker',
    });
    expect(lines[1]).toMatchObject({ msg: 'plain words', stack: 'a stack', context: 'Context' });
  });
});
