/**
 * Issue #23's "works in Node 20+": the packed client (test/client/packed-client.ts), imported
 * by its package name, runs a whole session on Node 20 against the real service. The service
 * and the tests run on the project's Node 24, so this needs a second Node: NODE20_BINARY, else
 * the machine's own (CI's /usr/bin/node is 20). Without one the file is skipped, and says so.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { newSignup } from '../factories/user.factory.js';
import { packClient, REPOSITORY, run, type PackedClient } from './packed-client.js';

/** The oldest Node the client supports is 20.19 (its package.json "engines"). */
const NODE_20 = /^v20\.(19|[2-9]\d)\.\d+$/;
const CANDIDATES = ['/usr/bin/node', '/usr/local/bin/node'];

function versionOf(binary: string): string | undefined {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/** NODE20_BINARY must be a Node 20 when given; otherwise the first candidate that is one. */
function findNode20(): { binary: string; version: string } | undefined {
  const given = process.env.NODE20_BINARY;
  if (given) {
    const version = versionOf(given);
    if (!version || !NODE_20.test(version)) {
      throw new Error(`NODE20_BINARY=${given} is ${version ?? 'not runnable'}, not Node 20.19+`);
    }
    return { binary: given, version };
  }
  for (const binary of CANDIDATES) {
    const version = versionOf(binary);
    if (version && NODE_20.test(version)) return { binary, version };
  }
  return undefined;
}

const node20 = findNode20();

// Without a Node 20 the report says why, rather than only counting a skip; with one, no skip.
if (!node20) {
  it('the packed client on Node 20', (context) =>
    context.skip(`no Node 20.19+ at NODE20_BINARY or ${CANDIDATES.join(', ')}`));
}

describe.runIf(node20)(
  `the packed client on Node 20${node20 ? ` (${node20.binary}, ${node20.version})` : ''}`,
  () => {
    // Signups mail a verification link: to a folder of this file's, removed at the end.
    const outbox = join(tmpdir(), `whazz-client-outbox-${process.pid}-${Date.now()}`);
    let packed: PackedClient;
    let t: TestApp;
    let baseUrl: string;
    beforeAll(async () => {
      [packed, t] = await Promise.all([
        packClient(),
        // Short access tokens: the script waits for a refresh on the real clock.
        createTestApp({ ACCESS_TOKEN_EXPIRE_SECONDS: '5', MAIL_OUTBOX_DIR: outbox }),
      ]);
      await t.app.listen(0, '127.0.0.1');
      baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    }, 180_000);
    afterAll(async () => {
      await t?.close();
      await packed?.remove();
      await rm(outbox, { recursive: true, force: true });
    });

    const answered = (path: string, status: number) =>
      t.logs.filter(
        (line) => line.includes(`"path":"${path}"`) && line.includes(`"status":${status}`),
      ).length;

    it('signs up, logs in, reads me, refreshes before expiry and logs out', async () => {
      const script = join(packed.root, 'session.mjs');
      await copyFile(join(REPOSITORY, 'test/fixtures/client-session.fixture.mjs'), script);
      const account = newSignup();
      const { stdout, stderr } = await run(
        node20!.binary,
        [script, baseUrl, account.username, account.email, account.password],
        { cwd: packed.root, timeout: 60_000 },
      );
      console.log(stdout.trim());
      // Not even a warning: nothing experimental or deprecated on Node 20.
      expect(stderr).toBe('');
      expect(JSON.parse(stdout)).toEqual({
        node: node20!.version,
        signedUp: account.username,
        login: 'signedIn',
        me: account.username,
        meAfterRefresh: account.username,
        // The login's pair, the refresh's, then none.
        generationsSaved: [1, 2, null],
        signedInAfterLogout: false,
        meAfterLogout: 401,
        pkceChallenge: 43,
        ended: [],
      });
      expect(answered('/auth/refresh', 200)).toBe(1);
      expect(answered('/auth/logout', 200)).toBe(1);
    });
  },
);
