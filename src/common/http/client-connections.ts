import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger as PinoLogger } from 'pino';
import { addressBucket } from './address-bucket.js';
import { OnceAMinuteWarning } from './once-a-minute-warning.js';

const registry = new WeakMap<Server, ClientConnections>();

/**
 * Each connection's request being answered; Node has no public way to ask a socket for it.
 * No entry: idle, or no request yet.
 */
const latest = new WeakMap<Socket, [IncomingMessage, ServerResponse]>();

/** Whether `socket` is sending an answer already: nothing else may be written on it. */
export function answerStarted(socket: Socket): boolean {
  const response = latest.get(socket)?.[1];
  return response !== undefined && response.headersSent && !response.writableFinished;
}

/**
 * The server's open connections, as far as slow clients are concerned (issue #18 point 1):
 * how many each client address holds (a connection past the cap is closed at once, before it
 * can send anything), and which are answering a request that has all arrived (a shutdown waits
 * for those only).
 */
export class ClientConnections {
  private readonly open = new Set<Socket>();
  private readonly perAddress = new Map<string, number>();
  private readonly refusals: OnceAMinuteWarning;

  constructor(
    server: Server,
    private readonly capPerAddress: number | null,
    logger: PinoLogger,
  ) {
    this.refusals = new OnceAMinuteWarning(
      logger,
      'connections refused: a client address holds as many as CONNECTIONS_PER_ADDRESS allows',
    );
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      latest.set(socket, [request, response]);
      // Sent: the connection is idle, and keeps neither the request nor its answer alive.
      response.once('finish', () => {
        if (latest.get(socket)?.[1] === response) latest.delete(socket);
      });
    });
    registry.set(server, this);
  }

  /** The connections of a server made by createApp(). */
  static of(server: Server): ClientConnections | undefined {
    return registry.get(server);
  }

  /**
   * Closes every connection that is not answering a complete request: idle ones, and those
   * still sending headers or a body. Requests that have all arrived are left to finish.
   */
  closeUnanswered(): number {
    let closed = 0;
    for (const socket of this.open) {
      const [request, response] = latest.get(socket) ?? [];
      const answering = request?.complete === true && response?.writableFinished === false;
      if (answering) continue;
      socket.destroy();
      closed += 1;
    }
    return closed;
  }

  /** Closes every connection, answering or not (a shutdown's deadline). */
  closeAll(): number {
    const count = this.open.size;
    for (const socket of this.open) socket.destroy();
    return count;
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress;
    // Already gone (a client that connected and reset at once): nothing to count.
    if (address === undefined) return;
    const bucket = addressBucket(address);
    const held = this.perAddress.get(bucket) ?? 0;
    if (this.capPerAddress !== null && held >= this.capPerAddress) {
      // Closed before a byte is read: an answer would cost what the cap is there to save.
      socket.destroy();
      this.refusals.note(bucket);
      return;
    }
    this.perAddress.set(bucket, held + 1);
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      const left = (this.perAddress.get(bucket) ?? 1) - 1;
      if (left > 0) this.perAddress.set(bucket, left);
      else this.perAddress.delete(bucket);
    });
  }
}
