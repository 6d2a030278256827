import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { finished, PassThrough, type Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** How much of a refused body is still read, and for how long, after the answer went out. */
export interface DrainLimits {
  maxBytes: number;
  maxMs: number;
}

/**
 * Enough for any body a client sends by mistake (a file to an API that takes 100 kB), so even
 * a client that reads nothing until it has sent everything gets its answer; at most a fraction
 * of a second of reading for the server. Clients that read while sending (fetch, curl,
 * browsers) stop within a round trip of the answer and never come near either limit.
 * REQUEST_TIMEOUT_SECONDS bounds every request, its body included; this bounds the wait after
 * a refusal, which may come sooner.
 */
export const REFUSED_BODY_DRAIN: DrainLimits = { maxBytes: 32 * 1024 * 1024, maxMs: 10_000 };

export type DrainEnd = 'ended' | 'closed' | 'byte-limit' | 'time-limit';

/** Reads and discards what is left of `body` up to the limits; resolves with why it stopped. */
export function discardRest(body: Readable, limits: DrainLimits): Promise<DrainEnd> {
  return new Promise((resolve) => {
    let bytes = 0;
    const count = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > limits.maxBytes) stop('byte-limit');
    };
    const timer = setTimeout(() => stop('time-limit'), limits.maxMs);
    const stopWatching = finished(body, (error) => stop(error ? 'closed' : 'ended'));
    function stop(end: DrainEnd): void {
      clearTimeout(timer);
      stopWatching();
      body.off('data', count);
      resolve(end);
    }
    body.on('data', count);
  });
}

/** True while the request has a body that has not all arrived. */
export function bodyStillArriving(request: IncomingMessage): boolean {
  if (request.complete) return false;
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

/** Connections given an answer before their request body was read: how to end that answer. */
const lingering = new WeakMap<Socket, () => void>();

/**
 * Ends the answer lingering on `socket` (its client hung up, or broke the body's framing,
 * before the body was all read); true if `socket` carries such an answer, ended or not.
 */
export function endLingeringAnswer(socket: Socket): boolean {
  const end = lingering.get(socket);
  end?.();
  return end !== undefined;
}

/**
 * Answers a request whose body is still arriving, then closes its connection without a reset.
 *
 * Closing at once (what Node does after a `Connection: close` answer) would close a socket
 * with unread input, so the kernel answers the client's next segment with a reset; a client
 * still writing its body then fails with EPIPE or ECONNRESET before reading the answer (RFC
 * 9112 9.6). So the answer goes out now, whole, with its Content-Length, and the response
 * ends (and Node closes the connection) only once the rest of the body has been read and
 * discarded, the client has hung up, or `limits` are reached.
 */
export function answerBeforeBody(
  request: IncomingMessage,
  reply: FastifyReply,
  payload: string,
  limits: DrainLimits = REFUSED_BODY_DRAIN,
): void {
  const { socket } = request;
  const answer = new PassThrough();
  const end = (): void => {
    if (!answer.writableEnded && !answer.destroyed) answer.end();
  };
  lingering.set(socket, end);
  answer.write(payload);
  void reply
    .header('connection', 'close')
    .header('content-length', Buffer.byteLength(payload))
    .send(answer);
  void discardRest(request, limits).then(end);
}
