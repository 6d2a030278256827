import { connect, type Socket } from 'node:net';

/** HTTP over a raw socket, for what HTTP clients never do: send a request slowly, or partly. */
export interface RawAnswer {
  /** Everything the server sent until it closed the connection. */
  text: string;
  /** From connecting to the close. */
  ms: number;
}

export interface RawClient {
  socket: Socket;
  connected: Promise<void>;
  answer: Promise<RawAnswer>;
}

export function rawClient(port: number, localAddress = '127.0.0.1'): RawClient {
  const started = Date.now();
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', resolve));
  const answer = new Promise<RawAnswer>((resolve) => {
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString()));
    socket.once('close', () => resolve({ text, ms: Date.now() - started }));
  });
  return { socket, connected, answer };
}

/** Writes `text` one byte every `everyMs` while the socket takes it. */
export async function trickle(socket: Socket, text: string, everyMs: number): Promise<void> {
  for (const byte of text) {
    if (!socket.writable) return;
    socket.write(byte);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
