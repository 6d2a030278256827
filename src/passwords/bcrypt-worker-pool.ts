import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BcryptReply, BcryptTask, BcryptWorkerData } from './bcrypt.worker.js';

type Task = BcryptTask;

interface Pending {
  task: Task;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

/** The thread's program beside this file: .js in the build, .ts under the test runner. */
const WORKER_FILE = new URL(
  `./bcrypt.worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

/** A task failed for want of a thread (it ended, or the pool closed), not for its input. */
export class HashingUnavailableError extends Error {
  override readonly name = 'HashingUnavailableError';
}

/** Told of every thread that ends on its own, with the wait before its replacement starts. */
export type ThreadFailureListener = (error: Error, respawnInMs: number) => void;

export interface BcryptWorkerPoolOptions {
  onThreadFailure?: ThreadFailureListener;
  /** The bcrypt module the threads load; bcryptjs. A test names one that cannot load. */
  bcryptPath?: string;
}

/** Waits before replacing a thread that ended: none for the first, then doubling to 10 s. */
const FIRST_RESPAWN_DELAY_MS = 100;
const MAX_RESPAWN_DELAY_MS = 10_000;

/**
 * bcrypt costs ~70-260 ms of CPU a hash: run on the event loop it stalls every other request.
 * Here each thread takes one task at a time; the rest wait in a queue, in order.
 */
export class BcryptWorkerPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly bcryptPath: string;
  private readonly onThreadFailure: ThreadFailureListener;
  /** Threads that ended in a row with no task answered in between. */
  private consecutiveFailures = 0;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    readonly size: number,
    options: BcryptWorkerPoolOptions = {},
  ) {
    this.bcryptPath = options.bcryptPath ?? createRequire(import.meta.url).resolve('bcryptjs');
    this.onThreadFailure = options.onThreadFailure ?? (() => undefined);
    for (let index = 0; index < size; index += 1) this.idle.push(this.spawn());
  }

  hash(password: string, cost: number): Promise<string> {
    return this.run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.respawnTimers) clearTimeout(timer);
    this.respawnTimers.clear();
    for (const pending of this.queue.splice(0))
      pending.reject(new HashingUnavailableError('password hashing pool closed'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((worker) => worker.terminate()));
  }

  private run(task: Task): Promise<string | boolean> {
    if (this.closed)
      return Promise.reject(new HashingUnavailableError('password hashing pool closed'));
    // Every thread has failed and the next waits out its backoff: fail now, not in 10 s.
    if (this.waitingForThreads())
      return Promise.reject(new HashingUnavailableError('no password hashing thread is running'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      worker.postMessage(pending.task);
    }
  }

  private spawn(): Worker {
    const workerData: BcryptWorkerData = { bcryptPath: this.bcryptPath };
    const worker = new Worker(WORKER_FILE, { workerData });
    // Idle threads must not keep a finished process (or test run) alive.
    worker.unref();
    worker.on('message', (message: BcryptReply) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      this.consecutiveFailures = 0;
      if ('error' in message) pending?.reject(new Error(message.error));
      else pending?.resolve(message.result);
      this.dispatch();
    });
    // 'exit' follows every way a thread can end ('error' first when it threw, or none at all
    // when it was terminated): its task fails at once rather than waiting for ever.
    let failure: Error | undefined;
    worker.on('error', (error: Error) => {
      failure = error;
    });
    worker.on('exit', (code) =>
      this.replace(worker, failure ?? new Error(`password hashing thread exited (${code})`)),
    );
    return worker;
  }

  /**
   * A thread that ended takes only its own task with it; another takes its place, at once the
   * first time and after a doubling wait while threads keep ending without answering a task
   * (bcrypt cannot load, memory runs out): a thread that cannot start must not be restarted in
   * a tight loop. While no thread is left, queued tasks fail rather than wait for one.
   */
  private replace(worker: Worker, error: Error): void {
    const failure = new HashingUnavailableError(
      this.closed
        ? 'password hashing pool closed'
        : `password hashing thread ended: ${error.message}`,
    );
    this.busy.get(worker)?.reject(failure);
    this.busy.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    if (this.closed) return;
    const delay =
      this.consecutiveFailures === 0
        ? 0
        : Math.min(
            MAX_RESPAWN_DELAY_MS,
            FIRST_RESPAWN_DELAY_MS * 2 ** (this.consecutiveFailures - 1),
          );
    this.consecutiveFailures += 1;
    this.onThreadFailure(error, delay);
    if (delay === 0) {
      this.respawn();
      return;
    }
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      this.respawn();
    }, delay);
    // A pending respawn must not keep a finished process alive.
    timer.unref();
    this.respawnTimers.add(timer);
    if (this.waitingForThreads()) {
      for (const pending of this.queue.splice(0)) pending.reject(failure);
    }
  }

  private respawn(): void {
    this.idle.push(this.spawn());
    this.dispatch();
  }

  /** No thread is alive; the next one is waiting out its backoff. */
  private waitingForThreads(): boolean {
    return this.idle.length === 0 && this.busy.size === 0 && this.respawnTimers.size > 0;
  }
}
