import type { Logger as PinoLogger } from 'pino';

/** At most one line a minute, however many times it happens. */
const WARNING_INTERVAL_MS = 60_000;

/**
 * A warning about clients the server turns away (issue #18 point 1): logged the first time,
 * then at most once a minute with how many there were since, so that a flood of them cannot
 * flood the log too. Names the client's address bucket, never its headers.
 */
export class OnceAMinuteWarning {
  private countSinceWarning = 0;
  private lastWarningAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: PinoLogger,
    private readonly msg: string,
    private readonly fields: Record<string, unknown> = {},
  ) {}

  /** One more client turned away, from `bucket` (see addressBucket()). */
  note(bucket: string, now = Date.now()): void {
    this.countSinceWarning += 1;
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.logger.warn({
      msg: this.msg,
      ...this.fields,
      address: bucket,
      count: this.countSinceWarning,
    });
    this.countSinceWarning = 0;
    this.lastWarningAt = now;
  }
}
