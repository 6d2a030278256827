import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';

const run = promisify(execFile);

/** The curl lines of the README's "Examples" block, in order. */
function readmeCurlExamples(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('### Examples')[1]?.split('```bash')[1]?.split('```')[0] ?? '';
  return section.split('\n').filter((line) => line.startsWith('curl '));
}

describe("the README's curl examples", () => {
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });
  afterAll(() => t.close());

  it('run as written, in order, against the real service', async () => {
    const examples = readmeCurlExamples();
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const tokens = { YOUR_ACCESS_TOKEN: '', YOUR_REFRESH_TOKEN: '' };

    for (const example of examples) {
      const command = Object.entries(tokens).reduce(
        (line, [placeholder, value]) => line.replaceAll(placeholder, value),
        example.replace('http://localhost:8000', baseUrl.replace('[::1]', '127.0.0.1')),
      );
      const { stdout } = await run('bash', ['-c', `${command} --silent --show-error`]);
      const body = JSON.parse(stdout) as {
        status?: unknown;
        access_token?: string;
        refresh_token?: string;
      };
      expect(typeof body.status === 'number' && body.status >= 400, `${example}\n${stdout}`).toBe(
        false,
      );
      if (body.access_token && body.refresh_token) {
        tokens.YOUR_ACCESS_TOKEN = body.access_token;
        tokens.YOUR_REFRESH_TOKEN = body.refresh_token;
      }
    }
    expect(tokens.YOUR_ACCESS_TOKEN).not.toBe('');
  });
});
