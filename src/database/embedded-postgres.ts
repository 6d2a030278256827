import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A connection string TypeORM's ordinary `pg` driver can use. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL (PGlite, compiled to WebAssembly) inside this process and serves it on
 * a loopback port, so the app talks to it through the same `pg` driver as to a real server.
 * PGlite is a single database session: give it a pool of one connection.
 */
export async function startEmbeddedPostgres(directory: string): Promise<EmbeddedPostgres> {
  const inMemory = directory.startsWith('memory://');
  if (!inMemory) await mkdir(directory, { recursive: true });
  const db = await PGlite.create(inMemory ? undefined : directory);
  // The app still uses one pooled connection. Extra slots are for reconnects: a closed
  // connection frees its slot a tick later, and a new one arriving first would be refused.
  // The socket server runs one transaction's queries at a time, so extra slots never interleave.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
