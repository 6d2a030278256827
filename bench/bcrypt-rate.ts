import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** bcryptjs in a loop on `threads` threads for `seconds`: the machine's raw hashing rate. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
const salt = bcrypt.genSaltSync(workerData.cost);
const started = performance.now();
const deadline = started + workerData.seconds * 1000;
let count = 0;
while (performance.now() < deadline) { bcrypt.hashSync('benchmark password', salt); count += 1; }
// The last hash ends past the deadline: divide by the time the hashes really took.
parentPort.postMessage(count / ((performance.now() - started) / 1000));
`;

export async function measureBcryptRate(
  cost: number,
  seconds: number,
  threads: number,
): Promise<number> {
  const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
  const rates = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(WORKER, {
            eval: true,
            workerData: { bcryptPath, cost, seconds },
          });
          worker.once('message', (rate: number) => resolve(rate));
          worker.once('error', reject);
        }),
    ),
  );
  return rates.reduce((sum, rate) => sum + rate, 0);
}
