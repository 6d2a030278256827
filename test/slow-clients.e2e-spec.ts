/**
 * Slow clients (issue #18 point 1): a request whose headers or body trickle in (or never come)
 * is answered `408` problem details once its time is up; one address holds only so many
 * connections; and a SIGTERM does not wait for such clients. Over raw sockets, since HTTP
 * clients send whole requests.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { ensureBuilt, startService } from './faults/service-process.js';
import { rawClient, trickle, type RawClient } from './raw-http-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SIGNUP_HEAD =
  'POST /auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n';
const HEALTH = 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n';

function expect408(text: string): void {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  expect(head).toMatch(/\r\nContent-Type: application\/problem\+json/i);
  expect(JSON.parse(body)).toMatchObject({ status: 408, title: 'Request Timeout' });
}

describe('slow clients', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ HEADERS_TIMEOUT_SECONDS: '1', REQUEST_TIMEOUT_SECONDS: '2' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(() => t.close());

  it('answers 408 problem details to headers that trickle in, once HEADERS_TIMEOUT_SECONDS passes', async () => {
    const client = rawClient(port);
    void trickle(
      client.socket,
      'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnop',
      200,
    );
    const { text, ms } = await client.answer;
    expect408(text);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2500);
  });

  it('answers 408 to a connection that sends nothing', async () => {
    const { text, ms } = await rawClient(port).answer;
    expect408(text);
    expect(ms).toBeLessThan(2500);
  });

  it('answers 408 to a body that trickles in, once REQUEST_TIMEOUT_SECONDS passes', async () => {
    const client = rawClient(port);
    await client.connected;
    client.socket.write(SIGNUP_HEAD);
    void trickle(client.socket, '{"username":"slow-body-trickler"'.padEnd(200, ' '), 250);
    const { text, ms } = await client.answer;
    expect408(text);
    expect(ms).toBeGreaterThanOrEqual(1950);
    expect(ms).toBeLessThan(3500);
  });

  it('answers 408 to a body announced and never sent', async () => {
    const client = rawClient(port);
    await client.connected;
    client.socket.write(SIGNUP_HEAD);
    const { text, ms } = await client.answer;
    expect408(text);
    expect(ms).toBeLessThan(3500);
  });

  it('logs the bodies cut short by the timeout as nothing worse than their requests', () => {
    const warnings = t.logs.filter((line) => /"level":(40|50)/.test(line));
    expect(warnings.filter((line) => /database unavailable|unhandled error/.test(line))).toEqual(
      [],
    );
  });

  it('logs one warning for the slow clients of a minute, with their address and no headers', () => {
    const warnings = t.logs
      .filter((line) => line.includes('requests answered 408'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    // Four 408s above: the first is logged at once, the rest counted into the next minute's.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, status: 408, address: '127.0.0.1', count: 1 });
    expect(JSON.stringify(warnings[0])).not.toMatch(/X-Slow|Content-Type|headers"/i);
  });

  it('still answers a request sent whole, and keeps its idle connection', async () => {
    const client = rawClient(port);
    await client.connected;
    client.socket.write(HEALTH);
    await sleep(2500);
    expect(client.socket.destroyed).toBe(false);
    client.socket.end();
    const { text } = await client.answer;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).not.toContain('408');
  });
});

describe('connections per address (CONNECTIONS_PER_ADDRESS)', () => {
  let t: TestApp;
  let port: number;
  const held: RawClient[] = [];
  beforeAll(async () => {
    t = await createTestApp({ CONNECTIONS_PER_ADDRESS: '3' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const client of held) client.socket.destroy();
    await t.close();
  });

  /** A kept-alive connection that has been answered once: proof the server took it. */
  async function holdConnection(localAddress: string): Promise<RawClient> {
    const client = rawClient(port, localAddress);
    held.push(client);
    await client.connected;
    const answered = new Promise<string>((resolve) =>
      client.socket.once('data', (data: Buffer) => resolve(data.toString())),
    );
    client.socket.write(HEALTH);
    await Promise.race([answered, client.answer]);
    return client;
  }

  it('closes a connection past the cap at once, unanswered, while another address is served', async () => {
    for (let i = 0; i < 3; i += 1) {
      const client = await holdConnection('127.0.0.1');
      expect(client.socket.destroyed).toBe(false);
    }
    const refused = rawClient(port, '127.0.0.1');
    await refused.connected;
    refused.socket.write(HEALTH);
    const { text, ms } = await refused.answer;
    expect(text).toBe('');
    expect(ms).toBeLessThan(1000);

    // Another client address (all of 127/8 is this host) is counted apart.
    const other = await holdConnection('127.0.0.2');
    expect(other.socket.destroyed).toBe(false);

    // Once one of the first address's connections closes, it may open another.
    const first = held[0]!;
    first.socket.destroy();
    await first.answer;
    await sleep(50);
    const again = await holdConnection('127.0.0.1');
    expect(again.socket.destroyed).toBe(false);
  });
});

function databaseEnv(): Record<string, string> {
  return inject('databaseKind') === 'server'
    ? { DATABASE_URL: inject('databaseUrl') }
    : { DATABASE_RUN_MIGRATIONS: 'true', EMBEDDED_DATABASE_DIR: 'memory://' };
}

describe('SIGTERM with slow clients connected', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it('answers the requests that have arrived, closes the slow connections and exits promptly', async () => {
    const service = await startService({ ...databaseEnv(), BCRYPT_COST: '11', LOG_LEVEL: 'info' });
    const port = Number(new URL(service.baseUrl).port);
    try {
      const tag = Date.now().toString(36);
      const account = {
        email: `slow.term.${tag}@example.com`,
        username: `slow_term_${tag}`,
        password: 'pass phrase slow term',
      };
      const signup = await fetch(`${service.baseUrl}/auth/signup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(account),
      });
      expect(signup.status).toBe(201);

      const slowBody = rawClient(port);
      await slowBody.connected;
      slowBody.socket.write(SIGNUP_HEAD);
      slowBody.socket.write('{');
      const slowHeaders = rawClient(port);
      await slowHeaders.connected;
      slowHeaders.socket.write('GET /health/live HTTP/1.1\r\nHost');
      const silent = rawClient(port);
      await silent.connected;
      await sleep(100);

      const inFlight = fetch(`${service.baseUrl}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username_or_email: account.username, password: account.password }),
      });
      await sleep(30);
      const signalledAt = Date.now();
      service.child.kill('SIGTERM');

      expect((await inFlight).status).toBe(200);
      expect(await service.exited).toBe(0);
      // Without closing them the exit waits for HEADERS_TIMEOUT_SECONDS (10 s) at least.
      expect(Date.now() - signalledAt).toBeLessThan(4000);
      await Promise.all([slowBody.answer, slowHeaders.answer, silent.answer]);
      // The three slow ones at least (the fetches' kept-alive connections may be idle too).
      const closed = /closed (\d+) slow or idle connections at shutdown/.exec(service.output());
      expect(Number(closed?.[1])).toBeGreaterThanOrEqual(3);
    } finally {
      service.child.kill('SIGKILL');
    }
  }, 120_000);

  it('closes a connection whose client never reads its answer once SHUTDOWN_TIMEOUT_SECONDS passes', async () => {
    const service = await startService({ ...databaseEnv(), SHUTDOWN_TIMEOUT_SECONDS: '2' });
    const port = Number(new URL(service.baseUrl).port);
    try {
      const reader = rawClient(port);
      await reader.connected;
      // Several bundles (1.6 MB each) pipelined: more than the kernel's buffers hold on both
      // ends, however far they grow, so the server's write stalls once the client stops reading.
      const request = 'GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\n\r\n';
      reader.socket.write(request.repeat(8));
      reader.socket.pause();
      await sleep(1000);

      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      // Without the deadline the exit waits for the client to read, that is forever.
      const ms = Date.now() - signalledAt;
      expect(ms).toBeGreaterThanOrEqual(1900);
      expect(ms).toBeLessThan(4500);
      expect(service.output()).toMatch(/SHUTDOWN_TIMEOUT_SECONDS passed: closed 1 connections/);
      reader.socket.resume();
      const { text } = await reader.answer;
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      service.child.kill('SIGKILL');
    }
  }, 120_000);
});
