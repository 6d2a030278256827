import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface WebhookReceipt {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  type: string;
  data: Record<string, unknown> & { user_id?: string | null };
  /** The path it was POSTed to. */
  path: string;
  /** When the request arrived and when it was answered (ms since epoch). */
  startedAt: number;
  endedAt: number;
}

export type ReceiverMode = 'accept' | 'fail' | 'redirect';

export interface TestWebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  received: WebhookReceipt[];
  /** `accept`: 204; `fail`: 503; `redirect`: 302 to `redirectTo`. */
  mode: ReceiverMode;
  redirectTo?: string;
  /** Milliseconds before answering: a slow receiver. */
  delayMs: number;
  /** Requests read but not answered yet. */
  inFlight: number;
  /** While true, requests are read but left unanswered until `release()`: surely mid-delivery. */
  hold: boolean;
  /** Stops holding and answers the held requests (recorded as received, sent if still open). */
  release(): void;
  /** The receipts of one user's events (at one path, if given), in arrival order. */
  forUser(userId: string, path?: string): WebhookReceipt[];
  /** Waits until `done` holds for the receipts (polling), or fails after `timeoutMs`. */
  waitFor(done: (received: WebhookReceipt[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  /** Stops listening and drops open connections: the port refuses connections (ECONNREFUSED). */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
}

/**
 * A receiver's verification with the `standardwebhooks` library (the reference
 * implementation): true when the message verifies with `secret`, timestamp tolerance included.
 */
export function verifiesWith(receipt: WebhookReceipt, secret: string): boolean {
  try {
    new Webhook(secret).verify(receipt.body, {
      'webhook-id': receipt.id,
      'webhook-timestamp': receipt.timestamp,
      'webhook-signature': receipt.signature,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * The same check written from the specification with node:crypto alone: HMAC-SHA256 over
 * `id.timestamp.body` with the secret's base64 bytes; any `v1,` signature of the list matches.
 */
export function verifiesBySpecification(receipt: WebhookReceipt, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${receipt.id}.${receipt.timestamp}.${receipt.body}`)
    .digest();
  return receipt.signature.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A real HTTP receiver in the test process: the service POSTs to it over TCP. */
export async function startWebhookReceiver(): Promise<TestWebhookReceiver> {
  const received: WebhookReceipt[] = [];
  const receiver: TestWebhookReceiver = {
    url: '',
    received,
    mode: 'accept',
    delayMs: 0,
    inFlight: 0,
    hold: false,
    release() {
      receiver.hold = false;
      held.splice(0).forEach((answer) => answer());
    },
    forUser: (userId, path) =>
      received.filter(
        (receipt) =>
          receipt.data.user_id === userId && (path === undefined || receipt.path === path),
      ),
    async waitFor(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        if (Date.now() > deadline) throw new Error(`timed out; received ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
    goDown: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    // A port taken meanwhile fails at once rather than leaving the test to time out.
    comeBack: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
  };
  const held: (() => void)[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const startedAt = Date.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      receiver.inFlight += 1;
      const answer = () => {
        receiver.inFlight -= 1;
        // A held request whose sender went away (killed, timed out): nobody to answer.
        const gone = response.destroyed || request.socket.destroyed;
        if (receiver.mode === 'fail') {
          if (!gone) response.writeHead(503).end('down for now');
          return;
        }
        if (receiver.mode === 'redirect') {
          if (gone) return;
          return response.writeHead(302, { location: receiver.redirectTo ?? '/' }).end();
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const parsed = JSON.parse(body) as { type: string; data: WebhookReceipt['data'] };
        received.push({
          id: String(request.headers['webhook-id']),
          timestamp: String(request.headers['webhook-timestamp']),
          signature: String(request.headers['webhook-signature']),
          body,
          type: parsed.type,
          data: parsed.data,
          path: request.url ?? '/',
          startedAt,
          endedAt: Date.now(),
        });
        if (!gone) response.writeHead(204).end();
      };
      if (receiver.hold) held.push(answer);
      else setTimeout(answer, receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}`;
  return receiver;
}
