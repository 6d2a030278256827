import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';

const run = promisify(execFile);

/**
 * The curl lines of the bash blocks in the README's "Examples" section, in order. The section
 * ends at the next heading of any level; a `#` line inside a code block is a comment, not one.
 */
function readmeCurlExamples(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const curls: string[] = [];
  let inExamples = false;
  let fence: string | undefined;
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) fence = fence === undefined ? line.slice(3) : undefined;
    else if (fence === undefined && line.startsWith('#')) inExamples = line === '### Examples';
    else if (inExamples && fence === 'bash' && line.startsWith('curl ')) curls.push(line);
  }
  return curls;
}

const outboxFiles = async (outbox: string) => (await readdir(outbox).catch(() => [])).sort();

/** The token of the newest mail, waiting for one that is not among `earlier` files. */
async function newMailToken(outbox: string, earlier: string[]): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const files = (await outboxFiles(outbox)).filter((file) => !earlier.includes(file));
    for (const file of files.reverse()) {
      const text = await readFile(join(outbox, file), 'utf8');
      const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
      if (token) return token;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no new mail with a token in the outbox');
}

describe("the README's curl examples", () => {
  const outbox = join(tmpdir(), `whazz-readme-outbox-${process.pid}-${Date.now()}`);
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp({ MAIL_OUTBOX_DIR: outbox });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });
  afterAll(() => t.close());

  it('run as written, in order, against the real service', async () => {
    const examples = readmeCurlExamples();
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const tokens = { YOUR_ACCESS_TOKEN: '', YOUR_REFRESH_TOKEN: '', TOKEN_FROM_THE_MAIL: '' };
    // The mail a token line needs was caused by the line before it.
    let filesBeforePreviousLine: string[] = [];

    for (const example of examples) {
      if (example.includes('TOKEN_FROM_THE_MAIL')) {
        tokens.TOKEN_FROM_THE_MAIL = await newMailToken(outbox, filesBeforePreviousLine);
      }
      filesBeforePreviousLine = await outboxFiles(outbox);
      const command = Object.entries(tokens).reduce(
        (line, [placeholder, value]) => line.replaceAll(placeholder, value),
        example.replace('http://localhost:8000', baseUrl.replace('[::1]', '127.0.0.1')),
      );
      const { stdout } = await run('bash', ['-c', `${command} --silent --show-error`]);
      // DELETE /auth/me answers 204 with no body.
      const body = JSON.parse(stdout.trim() || '{}') as {
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
