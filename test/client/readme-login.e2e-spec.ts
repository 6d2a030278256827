/**
 * The login example of packages/client/README.md ("A login in 15 lines", issue #23), as a
 * reader copies it: type-checked against the packed client's declarations (test/client/
 * packed-client.ts) in a strict app of its own, for a browser and for Node, then compiled and
 * run against the real service: a plain login, one with a second factor, a wrong password.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { logIn, signUp } from '../factories/user.factory.js';
import { totpStepsAway } from '../totp-reference.js';
import { linkDependency, packClient, REPOSITORY, run, type PackedClient } from './packed-client.js';

/** What the issue promised; blank lines do not count. */
const MOST_LINES = 15;

/** The example's service and account, which the runs replace with the test's. */
const PLACEHOLDERS = {
  baseUrl: "'https://auth.whazz.audio'",
  username: "'alice'",
  password: "'correct horse'",
};

/** The app's own functions the example calls: declared for tsc, written for the runs. */
const APP_DECLARATIONS = `declare function showLoginPage(): void;
declare function askCode(): Promise<string>;
`;
const APP_FUNCTIONS = `globalThis.showLoginPage = () => console.log('showLoginPage');
globalThis.askCode = async () => {
  console.log('askCode');
  return process.env.MFA_CODE;
};
`;

/** What an app's strict tsconfig says; skipLibCheck off, so the declarations are checked too. */
const STRICT = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'es2022',
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: false,
};
const TSCONFIGS = {
  browser: { ...STRICT, lib: ['es2022', 'dom'], types: [], noEmit: true },
  node: { ...STRICT, lib: ['es2022'], types: ['node'], outDir: 'out', noEmitOnError: true },
};

async function readmeLoginExample(): Promise<string> {
  const readme = await readFile(join(REPOSITORY, 'packages/client/README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('A login in'));
  const code = /^```ts\n([\s\S]*?)^```/m.exec(section ?? '')?.[1];
  if (!code) throw new Error('packages/client/README.md has no ```ts block under "## A login in"');
  return code;
}

describe("the client README's login example", () => {
  // Signups mail a verification link: to a folder of this file's, removed at the end.
  const outbox = join(tmpdir(), `whazz-client-outbox-${process.pid}-${Date.now()}`);
  let packed: PackedClient;
  let t: TestApp;
  let baseUrl: string;
  let example: string;
  beforeAll(async () => {
    [packed, t, example] = await Promise.all([
      packClient(),
      createTestApp({ MAIL_OUTBOX_DIR: outbox }),
      readmeLoginExample(),
    ]);
    await t.app.listen(0, '127.0.0.1');
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    // A Node app has @types/node of its own; the client must not need it.
    await linkDependency(packed.root, '@types/node');
    const files = {
      'package.json': JSON.stringify({ type: 'module', private: true }),
      'readme-login.ts': example,
      'app.d.ts': APP_DECLARATIONS,
      'app.mjs': APP_FUNCTIONS,
      ...Object.fromEntries(
        Object.entries(TSCONFIGS).map(([kind, compilerOptions]) => [
          `tsconfig.${kind}.json`,
          JSON.stringify({ compilerOptions, files: ['readme-login.ts', 'app.d.ts'] }),
        ]),
      ),
    };
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(packed.root, name), text);
    }
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await packed?.remove();
    await rm(outbox, { recursive: true, force: true });
  });

  /** tsc's diagnostics for one of TSCONFIGS, '' when it compiles. */
  async function tsc(kind: keyof typeof TSCONFIGS): Promise<string> {
    const compiler = join(REPOSITORY, 'node_modules/typescript/bin/tsc');
    const options = { cwd: packed.root, timeout: 120_000 };
    try {
      await run(
        process.execPath,
        [compiler, '-p', `tsconfig.${kind}.json`, '--pretty', 'false'],
        options,
      );
      return '';
    } catch (error) {
      return (error as { stdout?: string }).stdout || String(error);
    }
  }

  /** The Node app's compilation, which also writes out/readme-login.js for the runs. */
  let nodeBuild: Promise<string> | undefined;
  const buildForNode = () => (nodeBuild ??= tsc('node'));

  /** Runs the compiled example with the test's service and account in the placeholders' stead. */
  async function runExample(account: { username: string; password: string }, mfaCode = '') {
    const diagnostics = await buildForNode();
    if (diagnostics) throw new Error(`the example does not compile:\n${diagnostics}`);
    let code = await readFile(join(packed.root, 'out/readme-login.js'), 'utf8');
    const values = { baseUrl, ...account };
    for (const [name, placeholder] of Object.entries(PLACEHOLDERS)) {
      code = code.replace(placeholder, JSON.stringify(values[name as keyof typeof values]));
    }
    const script = join(packed.root, 'out', `run-${account.username}.js`);
    await writeFile(script, code);
    const app = pathToFileURL(join(packed.root, 'app.mjs')).href;
    const { stdout, stderr } = await run(process.execPath, ['--import', app, script], {
      cwd: packed.root,
      env: { ...process.env, MFA_CODE: mfaCode },
      timeout: 30_000,
    });
    expect(stderr).toBe('');
    return stdout;
  }

  it(`is at most ${MOST_LINES} lines and names each placeholder once`, () => {
    const lines = example.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeLessThanOrEqual(MOST_LINES);
    for (const placeholder of Object.values(PLACEHOLDERS)) {
      expect(example.split(placeholder), placeholder).toHaveLength(2);
    }
  });

  it('compiles against the packed declarations in a strict browser app and a strict Node app', async () => {
    const [browser, node] = await Promise.all([tsc('browser'), buildForNode()]);
    expect(browser).toBe('');
    expect(node).toBe('');
  }, 120_000);

  it('signs in and prints /auth/me, run against the service', async () => {
    const user = await signUp(t.http);
    const stdout = await runExample(user);
    expect(stdout).toContain(`username: '${user.username}'`);
    expect(stdout).not.toContain('askCode');
  });

  it('asks for the second factor when the account has one, then signs in', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const bearer = { Authorization: `Bearer ${accessToken}` };
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer)
      .send({ password: user.password });
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer)
      .send({ code: totpStepsAway(secret, -1) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);

    const stdout = await runExample(user, totpStepsAway(secret, 0));
    expect(stdout).toMatch(new RegExp(`^askCode\\n[^]*username: '${user.username}'`));
  });

  it('prints the problem of a refused login', async () => {
    const user = await signUp(t.http);
    const stdout = await runExample({ ...user, password: `not ${user.password}` });
    expect(stdout).toMatch(/^401 https:\/\/whazz\.audio\/problems\/invalid-credentials /);
  });
});
