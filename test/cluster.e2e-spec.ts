import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A new connection each time: node:cluster balances connections, not requests. */
function getOnNewConnection(url: string): Promise<{ pid: number; shared: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(body) as { pid: number; shared: string }));
    }).on('error', reject);
  });
}

async function getJson(url: string): Promise<{ pid: number; shared: string }> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await getOnNewConnection(url);
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('WEB_CONCURRENCY (the cluster primary)', () => {
  it('spreads one port over its workers, shares its env, and on SIGTERM finishes in-flight requests and exits 0', async () => {
    const port = await freePort();
    const primary = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/cluster-primary.fixture.ts'],
      {
        env: { ...process.env, PORT: String(port) },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      primary.on('exit', (code) => resolve(code)),
    );
    const base = `http://127.0.0.1:${port}`;

    const pids = new Set<number>();
    for (let attempt = 0; attempt < 200 && pids.size < 2; attempt += 1) {
      const answer = await getJson(`${base}/`);
      expect(answer.shared).toBe('from-primary');
      pids.add(answer.pid);
    }
    expect(pids.size).toBe(2);

    const inFlight = getJson(`${base}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    primary.kill('SIGTERM');
    expect((await inFlight).pid).toBeGreaterThan(0);
    expect(await exited).toBe(0);
  });
});
