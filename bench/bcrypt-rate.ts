import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** bcryptjs in a loop on `threads` threads for `seconds`: the machine's raw hashing rate. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
const salt = bcrypt.genSaltSync(workerData.cost);
const deadline = Date.now() + workerData.seconds * 1000;
let count = 0;
while (Date.now() < deadline) { bcrypt.hashSync('benchmark password', salt); count += 1; }
parentPort.postMessage(count);
`;

export async function measureBcryptRate(
  cost: number,
  seconds: number,
  threads: number,
): Promise<number> {
  const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
  const counts = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(WORKER, {
            eval: true,
            workerData: { bcryptPath, cost, seconds },
          });
          worker.once('message', (count: number) => resolve(count));
          worker.once('error', reject);
        }),
    ),
  );
  return counts.reduce((sum, count) => sum + count, 0) / seconds;
}
