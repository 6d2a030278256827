// One password hashing thread of BcryptWorkerPool: takes a task, answers it, waits for the
// next. Node runs this file as compiled JavaScript from the build and, under the test runner,
// as TypeScript with its types stripped, so it uses only erasable syntax and imports nothing
// of the project's.
import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

export type BcryptTask =
  | { op: 'hash'; password: string; cost: number }
  | { op: 'compare'; password: string; hash: string };

export type BcryptReply = { result: string | boolean } | { error: string };

export interface BcryptWorkerData {
  /** The bcrypt module to load: bcryptjs, or, in a test, one that cannot load. */
  bcryptPath: string;
}

const { bcryptPath } = workerData as BcryptWorkerData;
const bcrypt = createRequire(import.meta.url)(bcryptPath) as typeof import('bcryptjs');

// Linux gives each thread its own nice value: hashing yields the CPU to the event loop and to
// the database, yet still uses every idle cycle. Elsewhere this is skipped.
try {
  const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(threadId, 10);
} catch {
  // Not Linux, or not allowed: hash at normal priority.
}

function answer(task: BcryptTask): BcryptReply {
  try {
    const result =
      task.op === 'hash'
        ? bcrypt.hashSync(task.password, task.cost)
        : bcrypt.compareSync(task.password, task.hash);
    return { result };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

parentPort?.on('message', (task: BcryptTask) => parentPort?.postMessage(answer(task)));
