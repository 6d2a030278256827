import type { Logger } from '@nestjs/common';

/**
 * Runs housekeeping every `everyMs` without keeping the process alive; a failure is logged
 * and the next run tries again. Returns the function that stops it.
 */
export function runPeriodically(
  description: string,
  everyMs: number,
  task: () => Promise<unknown>,
  logger: Logger,
): () => void {
  const timer = setInterval(() => {
    task().catch((error: unknown) => logger.warn(`${description} failed: ${String(error)}`));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
