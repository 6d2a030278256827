import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeedService } from '../src/platform/change-feed/change-feed.service.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './create-test-app.js';
import { signUpAndLogIn } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';
import { within } from './within.js';

/**
 * The README's default: no DATABASE_URL, no REDIS_URL. The database lives in the process, so
 * no other instance can change it behind this one's back; bearer checks come from memory.
 */
describe('the embedded database without Redis (the README default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      DATABASE_URL: undefined,
      DATABASE_RUN_MIGRATIONS: 'true',
      EMBEDDED_DATABASE_DIR: 'memory://',
    });
  }, 60_000);
  let closed = false;
  afterAll(async () => {
    if (!closed) await t.close();
  });

  const me = (token: string) => t.http.get('/auth/me').set('Authorization', `Bearer ${token}`);

  it('answers bearer checks from memory', () => {
    expect(t.configuration.database.url).toBeUndefined();
    expect(t.app.get(ChangeFeedService).live).toBe(true);
  });

  it('refuses a token at once after its logout', async () => {
    const user = await signUpAndLogIn(t.http);
    expect((await me(user.accessToken)).status).toBe(200);
    await t.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
    expect((await me(user.accessToken)).status).toBe(401);
  });

  it('still refuses a validly signed token naming a session that never existed', async () => {
    const user = await signUpAndLogIn(t.http);
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { ...claimsOf(user.accessToken), sid: randomUUID(), jti: randomUUID() };
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    const signature = createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url');
    // Memory knows revocations, not which sessions exist: a token's first use asks the database.
    expect(t.app.get(ChangeFeedService).live).toBe(true);
    expect((await me(`${unsigned}.${signature}`)).status).toBe(401);
  });

  it('sees a user disabled by hand in SQL within a second or two', async () => {
    const user = await signUpAndLogIn(t.http);
    expect((await me(user.accessToken)).status).toBe(200);
    await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    await within(2500, async () => (await me(user.accessToken)).status === 403);
  });

  it('shuts down quietly: the pool closes before the database, no poll runs after', async () => {
    // A poll is due every second: let one come close to the shutdown.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const linesBefore = t.logs.length;
    await t.close();
    closed = true;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const complaints = t.logs
      .slice(linesBefore)
      .filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
    expect(complaints).toEqual([]);
  });
});

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * PGlite runs in a process of its own (so its queries never stall the service's event loop);
 * it must never outlive the service, nor lose what was written when the service is killed.
 */
describe('the embedded database process', () => {
  it('ends with the service even after a SIGKILL, and keeps what was written', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'whazz-embedded-'));
    try {
      const holder = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/fixtures/embedded-database-holder.fixture.ts', directory],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let databasePid: number;
      try {
        databasePid = await new Promise<number>((resolve, reject) => {
          holder.stdout.once('data', (line: Buffer) =>
            resolve((JSON.parse(line.toString()) as { databasePid: number }).databasePid),
          );
          holder.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
        });
        expect(isRunning(databasePid)).toBe(true);
      } finally {
        holder.kill('SIGKILL');
      }
      await within(10_000, () => Promise.resolve(!isRunning(databasePid)));

      const reopened = await startEmbeddedPostgres(directory);
      const client = new pg.Client({ connectionString: reopened.url });
      await client.connect();
      const { rows } = await client.query<{ note: string }>('SELECT note FROM kept');
      await client.end();
      await reopened.stop();
      expect(rows).toEqual([{ note: 'written before the kill' }]);
      expect(isRunning(reopened.pid)).toBe(false);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  it('reports an end nobody asked for, and only that one', async () => {
    const ends: string[] = [];
    const killed = await startEmbeddedPostgres('memory://', (code, signal) =>
      ends.push(`${signal ?? code}`),
    );
    process.kill(killed.pid, 'SIGKILL');
    await within(10_000, () => Promise.resolve(ends.length > 0));
    expect(ends).toEqual(['SIGKILL']);

    const stopped = await startEmbeddedPostgres('memory://', () => ends.push('stopped'));
    await stopped.stop();
    expect(ends).toEqual(['SIGKILL']);
  }, 60_000);
});
