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
    const started = Date.now();
    const firstTask = pool.hash('a password', 4);
    await expect(firstTask).rejects.toBeInstanceOf(HashingUnavailableError);
    await expect(firstTask).rejects.toThrow(/Cannot find module/);
    while (respawnDelays.length < 4 && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Restarted at once, then after 100, 200 and 400 ms; not at once every time, which made a
    // new thread as fast as the last one could fail.
    expect(respawnDelays.slice(0, 4)).toEqual([0, 100, 200, 400]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // The fourth replacement waits 400 ms: a check made now fails at once instead.
    const checked = Date.now();
    await expect(pool.compare('a password', '$2b$04$' + 'a'.repeat(53))).rejects.toThrow(
      /no password hashing thread is running/,
    );
    expect(Date.now() - checked).toBeLessThan(100);
    await pool.close();
  });
});
