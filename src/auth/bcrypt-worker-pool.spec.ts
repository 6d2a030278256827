import { describe, expect, it } from 'vitest';
import { BcryptWorkerPool, HashingUnavailableError } from './bcrypt-worker-pool.js';

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

  it('replaces a thread that cannot start after a doubling wait, says so, and fails logins meanwhile', async () => {
    const respawnDelays: number[] = [];
    const pool = new BcryptWorkerPool(1, {
      bcryptPath: '/nonexistent/bcryptjs.js',
      onThreadFailure: (error, respawnInMs) => {
        expect(error.message).toMatch(/Cannot find module/);
        respawnDelays.push(respawnInMs);
      },
    });
    const firstTask = pool.hash('a password', 4);
    await expect(firstTask).rejects.toBeInstanceOf(HashingUnavailableError);
    await expect(firstTask).rejects.toThrow(/Cannot find module/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Restarted at once, then after 100, 200, 400 ms...: a handful of threads in a second,
    // where restarting at once every time made dozens.
    expect(respawnDelays.slice(0, 3)).toEqual([0, 100, 200]);
    expect(respawnDelays.length).toBeLessThanOrEqual(6);
    const started = Date.now();
    await expect(pool.compare('a password', '$2b$04$' + 'a'.repeat(53))).rejects.toThrow(
      /Cannot find module/,
    );
    // Failed by the thread it reached or at once; never left waiting out the backoff.
    expect(Date.now() - started).toBeLessThan(1000);
    await pool.close();
  });
});
