import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RATE_LIMIT_VARIABLES } from '../../src/config/configuration.js';
import { TEST_JWT_SECRET } from '../create-test-app.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BUILT_MAIN = join(ROOT, 'dist/src/main.js');

function newestSourceChange(directory: string): number {
  return Math.max(
    ...readdirSync(directory, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs),
  );
}

// One build at a time across test processes (CI runs two side by side, vitest may run several
// workers): `nest build` empties dist/ first, and a test starting the built service meanwhile
// would find half of it.
const BUILD_LOCK = join(
  tmpdir(),
  `whazz-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
);
const STALE_LOCK_MS = 5 * 60_000;

function withBuildLock(work: () => void): void {
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any build is one a killed run left behind.
      if (Date.now() - lockCreatedAt() > STALE_LOCK_MS) {
        rmSync(BUILD_LOCK, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    work();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

function lockCreatedAt(): number {
  try {
    return statSync(BUILD_LOCK).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** The production build, rebuilt when a source file is newer (CI has just built it). */
export function ensureBuilt(): void {
  withBuildLock(() => {
    const builtAt = (() => {
      try {
        return statSync(BUILT_MAIN).mtimeMs;
      } catch {
        return 0;
      }
    })();
    const changedAt = Math.max(
      newestSourceChange(join(ROOT, 'src')),
      newestSourceChange(join(ROOT, 'migrations')),
    );
    if (changedAt > builtAt) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServiceProcess {
  baseUrl: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/**
 * The built service as `npm run start:prod` runs it, on a port of its own. `onSpawned` sees it
 * before it is ready, so a caller's cleanup covers one that never gets there.
 */
export async function startService(
  env: Record<string, string>,
  onSpawned?: (service: ServiceProcess) => void,
): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [BUILT_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      BCRYPT_COST: '4',
      DATABASE_RUN_MIGRATIONS: 'false',
      DATABASE_POOL_SIZE: '4',
      LOG_LEVEL: 'warn',
      MAIL_OUTBOX_DIR: join(tmpdir(), `whazz-faults-outbox-${process.pid}`),
      ...Object.fromEntries(RATE_LIMIT_VARIABLES.map((name) => [name, 'off'])),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const service = { baseUrl, child, exited, output: () => output };
  onSpawned?.(service);
  // A minute: on a loaded 2-core machine the built service took over 15 s to listen.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      // Not left running behind the failed test.
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`the service did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return service;
}

/** SIGTERM, and SIGKILL if it has not exited within `timeoutMs`. */
export async function stopService(service: ServiceProcess, timeoutMs = 10_000): Promise<void> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([service.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await service.exited;
  }
}
