import cluster from 'node:cluster';
import type { Logger as PinoLogger } from 'pino';

/** A worker that dies this soon after starting is broken, not unlucky: stop restarting. */
const CRASH_LOOP_MS = 5_000;
/** Beyond a worker's own deadline (SHUTDOWN_TIMEOUT_SECONDS), for its modules to close. */
const WORKER_EXIT_MARGIN_MS = 10_000;

export interface ClusterOptions {
  workers: number;
  /** Added to each worker's environment, e.g. a secret every worker must share. */
  env: Record<string, string>;
  logger: PinoLogger;
  /** The worker program; by default this process's own entry point. */
  exec?: string;
  /** How long workers keep serving after SIGTERM before they stop listening. */
  drainMs?: number;
  /** How long workers then get to finish their requests before closing every connection. */
  shutdownTimeoutMs?: number;
}

/**
 * WEB_CONCURRENCY > 1: this process only forks workers that serve the same port (node:cluster
 * hands out connections), restarts one that dies, and on SIGTERM or SIGINT lets every worker
 * finish its requests, then exits 0.
 */
export function runClusterPrimary({
  workers,
  env,
  logger,
  exec,
  drainMs = 0,
  shutdownTimeoutMs = 10_000,
}: ClusterOptions): void {
  if (exec) cluster.setupPrimary({ exec });
  const startedAt = new Map<number, number>();
  let exitCode: number | undefined;

  const fork = () => {
    const worker = cluster.fork(env);
    startedAt.set(worker.id, Date.now());
  };
  const liveWorkers = () =>
    Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
  const stop = (code: number) => {
    if (exitCode !== undefined) return;
    exitCode = code;
    for (const worker of liveWorkers()) worker.process.kill('SIGTERM');
    const deadline = drainMs + shutdownTimeoutMs + WORKER_EXIT_MARGIN_MS;
    setTimeout(() => process.exit(code === 0 ? 1 : code), deadline).unref();
  };

  cluster.on('exit', (worker, code, signal) => {
    if (exitCode !== undefined) {
      if (liveWorkers().length === 0) process.exit(exitCode);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting another');
    if (Date.now() - (startedAt.get(worker.id) ?? 0) < CRASH_LOOP_MS) {
      logger.fatal('a worker died right after starting; stopping instead of restarting in a loop');
      stop(1);
      return;
    }
    fork();
  });
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  for (let index = 0; index < workers; index += 1) fork();
  logger.info({ workers }, 'cluster primary started');
}
