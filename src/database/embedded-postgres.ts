import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

export interface EmbeddedPostgres {
  /** A connection string TypeORM's ordinary `pg` driver can use. */
  url: string;
  /** The database's own process. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * The embedded server's whole program. Inline (eval), like the hashing worker, so the same
 * code runs from the build and from the test runner's TypeScript sources.
 *
 * PGlite is a single database session: the app gives it a pool of one connection. The extra
 * slots are for reconnects: a closed connection frees its slot a tick later, and a new one
 * arriving first would be refused. The socket server runs one transaction's queries at a
 * time, so extra slots never interleave.
 */
const SERVER_SOURCE = `
const [pglitePath, socketPath, directory] = process.argv.slice(1);
const { PGlite } = require(pglitePath);
const { PGLiteSocketServer } = require(socketPath);
// The service decides when the database stops: a Ctrl+C or SIGTERM sent to the whole process
// group must not take it away from requests the service is still finishing.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
(async () => {
  const inMemory = directory.startsWith('memory://');
  if (!inMemory) await require('node:fs/promises').mkdir(directory, { recursive: true });
  const db = await PGlite.create(inMemory ? undefined : directory);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  let stopping;
  const stop = () => (stopping ??= server.stop().then(() => db.close()).finally(() => process.exit(0)));
  process.on('message', (message) => message === 'stop' && stop());
  // The service is gone, even by SIGKILL: close the files cleanly and go with it.
  process.on('disconnect', stop);
  process.send({ url: 'postgres://postgres@' + server.getServerConn() + '/postgres' });
})().catch((error) => {
  process.send?.({ error: String(error?.stack ?? error) });
  process.exit(1);
});
`;

/**
 * Starts PostgreSQL (PGlite, compiled to WebAssembly) in a child process and serves it on a
 * loopback port, so the app talks to it through the same `pg` driver as to a real server.
 * Not in the service's own process: PGlite runs every query on the thread that calls it,
 * which would stall the event loop, and its few hundred MB would count as the service's.
 */
export async function startEmbeddedPostgres(
  directory: string,
  /** Called if the database's process ends without being told to stop. */
  onUnexpectedExit?: (code: number | null, signal: string | null) => void,
): Promise<EmbeddedPostgres> {
  const resolve = createRequire(import.meta.url).resolve;
  const child = spawn(
    process.execPath,
    [
      '-e',
      SERVER_SOURCE,
      resolve('@electric-sql/pglite'),
      resolve('@electric-sql/pglite-socket'),
      directory,
    ],
    // Its stdout stays out of the service's JSON log lines; errors still show.
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once('message', (message: { url?: string; error?: string }) =>
      message.url
        ? resolveUrl(message.url)
        : reject(new Error(`embedded PostgreSQL did not start: ${message.error}`)),
    );
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited (${code}) before it was ready`)),
    );
  });
  let stopping = false;
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', (code, signal) => {
      if (!stopping) onUnexpectedExit?.(code, signal);
      resolveExit();
    }),
  );
  return {
    url,
    pid: child.pid!,
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null && child.connected)
        child.send('stop');
      await exited;
    },
  };
}
