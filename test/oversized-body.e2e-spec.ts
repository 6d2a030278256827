/**
 * A client that sends too much reads the 413, every time (issue 17 point 8). The fetch client
 * runs on a thread of its own against the app on a real port: sharing the server's event loop,
 * it would never be writing at the moment the server answers and closes, and the reset (EPIPE
 * or ECONNRESET instead of the answer) could not show.
 */
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFUSED_BODY_DRAIN } from '../src/common/http/lingering-close.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import type { OversizedBodyTries } from './fixtures/oversized-body-client.fixture.js';

const TRIES = 30;
const MB = 1024 * 1024;
const CLIENT = new URL('./fixtures/oversized-body-client.fixture.ts', import.meta.url);
const ANSWERED = '413 application/problem+json; charset=utf-8 413';

const SIGNUP_HEAD = 'POST /auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';

/**
 * Writes up to `total` bytes of `x` in 64 kB writes, waiting for each to be taken (a client
 * that reads nothing meanwhile); resolves with how many were taken before the server closed.
 */
async function writeBody(socket: Socket, total: number, frame = (chunk: string) => chunk) {
  const chunk = 'x'.repeat(64 * 1024);
  let taken = 0;
  socket.on('error', () => undefined);
  for (let sent = 0; sent < total && socket.writable; sent += chunk.length) {
    const written = await new Promise<boolean>((resolve) =>
      socket.write(frame(chunk), (error) => resolve(!error)),
    );
    if (written) taken += chunk.length;
  }
  return taken;
}

/** Everything the server sends until it closes the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString()));
    socket.once('close', () => resolve(answer));
  });
}

describe('a request body over the limit', () => {
  let t: TestApp;
  let url: string;
  let server: Server;
  let connections = 0;
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    url = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    server = t.app.getHttpServer();
    server.on('connection', () => connections++);
  });
  afterAll(() => t.close());

  /** Runs the client's tries; resolves with what each one read. */
  function tryPosting(bytes: number, mode: OversizedBodyTries['mode']): Promise<string[]> {
    const workerData: OversizedBodyTries = { url, bytes, tries: TRIES, mode };
    return new Promise((resolve, reject) => {
      const worker = new Worker(CLIENT, { workerData, execArgv: ['--import', 'tsx'] });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }

  describe.each([
    ['2 MB', 2 * MB],
    ['20 MB', 20 * MB],
  ])('of %s', (_, bytes) => {
    it(`is answered with 413 problem details ${TRIES} times of ${TRIES} on fresh connections`, async () => {
      const before = connections;
      expect(await tryPosting(bytes, 'fresh')).toEqual(Array(TRIES).fill(ANSWERED));
      expect(connections - before).toBe(TRIES);
    });

    it(`is answered with 413 problem details ${TRIES} times of ${TRIES} on kept-alive connections`, async () => {
      const before = connections;
      expect(await tryPosting(bytes, 'kept-alive')).toEqual(Array(TRIES).fill(ANSWERED));
      // Each POST went on the connection its GET /health/live had left open.
      expect(connections - before).toBe(TRIES);
    });

    it(`is answered with 413 problem details ${TRIES} times of ${TRIES} when sent chunked`, async () => {
      expect(await tryPosting(bytes, 'chunked')).toEqual(Array(TRIES).fill(ANSWERED));
    });
  });

  it('answers 413 to a client that reads nothing until it has sent all of its 20 MB', async () => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.pause();
    socket.write(`${SIGNUP_HEAD}Content-Length: ${20 * MB}\r\n\r\n`);
    expect(await writeBody(socket, 20 * MB)).toBe(20 * MB);
    const answer = await readAll(socket.resume());
    expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 413,
    });
  });

  it('reads at most a bounded amount of a refused body, then closes the connection', async () => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    const answer = readAll(socket);
    socket.write(`${SIGNUP_HEAD}Transfer-Encoding: chunked\r\n\r\n`);
    // Sends for ever, as an abusive client would; only the server's close stops it.
    const sent = await writeBody(
      socket,
      Infinity,
      (chunk) => `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(await answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeGreaterThan(REFUSED_BODY_DRAIN.maxBytes);
    // What the kernel buffers on both sides of a loopback connection, at most, on top.
    expect(sent).toBeLessThan(REFUSED_BODY_DRAIN.maxBytes + 16 * MB);
  });
});
