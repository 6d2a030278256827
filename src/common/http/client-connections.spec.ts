import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger as PinoLogger } from 'pino';
import { describe, expect, it } from 'vitest';
import { answerStarted, ClientConnections } from './client-connections.js';

/** What ClientConnections reads of a socket: its address, destroy(), and 'close'. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string | undefined) {
    super();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

/** What it reads of a request and its answer. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  writableFinished = false;
  finish(): void {
    this.writableFinished = true;
    this.emit('finish');
  }
}

function setUp(cap: number | null) {
  const server = new EventEmitter();
  const warnings: unknown[] = [];
  const logger = { warn: (line: unknown) => warnings.push(line) } as unknown as PinoLogger;
  const connections = new ClientConnections(server as unknown as Server, cap, logger);
  const connect = (address = '192.0.2.1') => {
    const socket = new FakeSocket(address);
    server.emit('connection', socket);
    return socket;
  };
  const request = (socket: FakeSocket, complete: boolean) => {
    const response = new FakeResponse();
    server.emit('request', { socket, complete }, response);
    return response;
  };
  return { server, connections, warnings, connect, request };
}

describe('ClientConnections', () => {
  it('refuses a connection past the cap of its address, warns once, and admits other addresses', () => {
    const { connect, warnings } = setUp(2);
    const admitted = [connect(), connect()];
    const refused = [connect(), connect()];
    const other = connect('192.0.2.2');
    expect(admitted.map((socket) => socket.destroyed)).toEqual([false, false]);
    expect(refused.map((socket) => socket.destroyed)).toEqual([true, true]);
    expect(other.destroyed).toBe(false);
    expect(warnings).toEqual([expect.objectContaining({ address: '192.0.2.1', count: 1 })]);
  });

  it('counts an IPv6 address by its /64', () => {
    const { connect } = setUp(1);
    expect(connect('2001:db8::1').destroyed).toBe(false);
    expect(connect('2001:db8::2').destroyed).toBe(true);
    expect(connect('2001:db8:0:1::1').destroyed).toBe(false);
  });

  it('uncounts a connection once it closes', () => {
    const { connect } = setUp(1);
    const first = connect();
    first.destroy();
    expect(connect().destroyed).toBe(false);
  });

  it('caps nothing without a cap, and ignores a socket already gone', () => {
    const { server, connect, connections } = setUp(null);
    const sockets = Array.from({ length: 5 }, () => connect());
    server.emit('connection', new FakeSocket(undefined));
    expect(sockets.some((socket) => socket.destroyed)).toBe(false);
    expect(connections.closeAll()).toBe(5);
    expect(sockets.every((socket) => socket.destroyed)).toBe(true);
  });

  it('closes idle connections and those still sending, and keeps those being answered', () => {
    const { connect, request, connections } = setUp(null);
    const silent = connect();
    const sending = connect();
    request(sending, false);
    const answering = connect();
    const answer = request(answering, true);
    const answered = connect();
    request(answered, true).finish();

    expect(connections.closeUnanswered()).toBe(3);
    expect([silent, sending, answering, answered].map((socket) => socket.destroyed)).toEqual([
      true,
      true,
      false,
      true,
    ]);
    answer.finish();
    expect(connections.closeUnanswered()).toBe(1);
    expect(answering.destroyed).toBe(true);
  });

  it('tells an answer under way from one sent or not started', () => {
    const { connect, request } = setUp(null);
    const socket = connect();
    expect(answerStarted(socket as never)).toBe(false);
    const response = request(socket, true);
    expect(answerStarted(socket as never)).toBe(false);
    response.headersSent = true;
    expect(answerStarted(socket as never)).toBe(true);
    response.finish();
    expect(answerStarted(socket as never)).toBe(false);
  });

  it('keeps nothing of an answer once it is sent, however long the connection stays idle', async () => {
    // The collector itself is the only witness that nothing holds the answer any more.
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const { connect, request } = setUp(null);
    const socket = connect();
    const sent = new WeakRef(request(socket, true));
    sent.deref()?.finish();
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(sent.deref()).toBeUndefined();
    expect(socket.destroyed).toBe(false);
  });
});
