import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('createRootLogger', () => {
  it('writes each line to stdout before the next statement runs, so a SIGKILL loses none', () => {
    // A process that logs, then is killed at once: only a synchronous write has happened.
    const script = `
      import { createRootLogger } from './src/common/logging/app-logger.ts';
      const logger = createRootLogger('info', 'whazz-audio-auth');
      for (let i = 0; i < 3; i += 1) logger.info({ i }, 'last words');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: new URL('../../../', import.meta.url).pathname },
    );
    expect(child.signal).toBe('SIGKILL');
    const lines = child.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { i: number });
    expect(lines.map((line) => line.i)).toEqual([0, 1, 2]);
  });
});
