import { describe, expect, it } from 'vitest';
import { BcryptWorkerPool } from './bcrypt-worker-pool.js';

describe('BcryptWorkerPool', () => {
  it('runs more tasks than threads, each to its own answer', async () => {
    const pool = new BcryptWorkerPool(2);
    const hashes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((p) => pool.hash(p, 4)));
    const checks = await Promise.all(hashes.map((hash, i) => pool.compare('abcde'[i]!, hash)));
    expect(checks).toEqual([true, true, true, true, true]);
    expect(await pool.compare('a', hashes[1]!)).toBe(false);
    await pool.close();
  });

  it('fails the tasks in flight and the queued ones when it closes, instead of leaving them pending', async () => {
    const pool = new BcryptWorkerPool(1);
    // Cost 14: about a second of hashing, so the task is still running when the pool closes.
    const inFlight = expect(pool.hash('a password', 14)).rejects.toThrow(/closed/);
    const queued = expect(pool.hash('another password', 4)).rejects.toThrow(/closed/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.close();
    await inFlight;
    await queued;
    await expect(pool.hash('later', 4)).rejects.toThrow(/closed/);
  });
});
