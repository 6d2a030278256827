import { createHash } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { runPeriodically } from '../platform/periodic-task.js';
import type { Configuration } from '../config/configuration.js';
import type { LoginBackoffConfig } from './login-backoff.config.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { LoginFailure } from './entities/login-failure.entity.js';
import { LoginBackoffError } from './login-backoff.errors.js';

export type LoginAttempt =
  /** `startsBackoff`: if this attempt fails, the account's attempts start to wait. */
  { allowed: true; startsBackoff: boolean } | { allowed: false; retryAfterSeconds: number };

// Failures older than this no longer count: a typo a week ago is not an attack today.
const FAILURES_FORGOTTEN_AFTER = '1 day';
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Counts the attempt *before* the password is checked, so a burst of parallel guesses cannot
 * all pass while the first is still hashing. The row is locked by the upsert, so of N
 * concurrent attempts exactly one reaches each count. Time is the database's clock, shared
 * by every instance.
 */
const BEGIN_ATTEMPT = `
INSERT INTO login_failures AS f (login_key, failures, last_failed_at, blocked_until)
VALUES ($1, 1, now(), CASE WHEN $2::int = 1 THEN now() + make_interval(secs => $3::int) END)
ON CONFLICT (login_key) DO UPDATE SET
  failures = {next},
  last_failed_at = now(),
  blocked_until = CASE WHEN {next} >= $2::int
        THEN now() + make_interval(secs => LEAST($4::int, $3::int * 2 ^ LEAST({next} - $2::int, 30)))
  END
WHERE f.blocked_until IS NULL OR f.blocked_until <= now()
RETURNING failures`.replaceAll(
  '{next}',
  `(CASE WHEN f.last_failed_at < now() - interval '${FAILURES_FORGOTTEN_AFTER}' THEN 1 ELSE f.failures + 1 END)`,
);

const SECONDS_BLOCKED = `
SELECT ceil(extract(epoch FROM blocked_until - now()))::int AS seconds
FROM login_failures WHERE login_key = $1`;

/**
 * Whose failures count: a login name (the account, from anywhere), one known device of it
 * (issue #20), whose wrong passwords count for that device alone, or one user past the
 * password or holding a session (issue #20): their second-factor codes and the bearer routes'
 * passwords, which strangers who know neither cannot raise to lock the owner out.
 */
export type BackoffSubject = string | { deviceId: string } | { userId: string };

/**
 * Counted per account as the login lookup finds it: `Alice` and `alice ` are one account. A
 * device's and a user's keys hash a NUL, which no login name holds (validation refuses it),
 * so none can share a row.
 */
function loginKey(subject: BackoffSubject): string {
  const plain =
    typeof subject === 'string'
      ? loginLookupKey(subject)
      : 'deviceId' in subject
        ? `device\0${subject.deviceId}`
        : `user\0${subject.userId}`;
  return createHash('sha256').update(plain).digest('hex');
}

// More attempts than this waiting on one name in one process are refused outright.
const MAX_QUEUED_ATTEMPTS = 16;

/**
 * Slows guessing at one account: after N failures each attempt waits, the wait doubling up to
 * a cap (OWASP ASVS 2.2.1). A successful login forgets them.
 *
 * Attempts at one name run one at a time in each process (`serialise`). Each is counted
 * before its password is checked, so without that, parallel right passwords would count as
 * failures until the first of them finished, and push their own account into backoff.
 */
@Injectable()
export class LoginBackoffService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LoginBackoffService.name);
  private readonly settings: LoginBackoffConfig;
  private stopPruning?: () => void;
  /** Per login key: the tail of the chain of attempts, and how many are in it. */
  private readonly queues = new Map<string, { tail: Promise<void>; size: number }>();

  constructor(
    @InjectRepository(LoginFailure) private readonly failures: Repository<LoginFailure>,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('loginBackoff', { infer: true });
  }

  /** Runs `attempt` once the earlier attempts at this name in this process have finished. */
  async serialise<T>(subject: BackoffSubject, attempt: () => Promise<T>): Promise<T> {
    const key = loginKey(subject);
    const queue = this.queues.get(key) ?? { tail: Promise.resolve(), size: 0 };
    if (queue.size >= MAX_QUEUED_ATTEMPTS) throw new LoginBackoffError(1);
    const result = queue.tail.then(attempt);
    queue.size += 1;
    queue.tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, queue);
    try {
      return await result;
    } finally {
      queue.size -= 1;
      if (queue.size === 0) this.queues.delete(key);
    }
  }

  /**
   * Counts an attempt as failed until `succeeded()` says otherwise.
   * @returns whether a failure of this attempt starts a backoff
   * @throws LoginBackoffError while the account is in backoff
   */
  async beginAttempt(subject: BackoffSubject): Promise<{ startsBackoff: boolean }> {
    const attempt = await this.tryBegin(subject);
    if (!attempt.allowed) throw new LoginBackoffError(attempt.retryAfterSeconds);
    return attempt;
  }

  private async tryBegin(subject: BackoffSubject): Promise<LoginAttempt> {
    const { afterFailures, initialSeconds, maxSeconds } = this.settings;
    if (afterFailures === 0) return { allowed: true, startsBackoff: false };
    const key = loginKey(subject);
    const counted = await this.failures.query<{ failures: number }[]>(BEGIN_ATTEMPT, [
      key,
      afterFailures,
      initialSeconds,
      maxSeconds,
    ]);
    const [attempt] = counted;
    if (attempt) return { allowed: true, startsBackoff: attempt.failures >= afterFailures };
    const [blocked] = await this.failures.query<{ seconds: number }[]>(SECONDS_BLOCKED, [key]);
    // Unblocked between the two statements: let this one through uncounted.
    if (!blocked || blocked.seconds <= 0) return { allowed: true, startsBackoff: false };
    return { allowed: false, retryAfterSeconds: blocked.seconds };
  }

  async succeeded(subject: BackoffSubject): Promise<void> {
    if (this.settings.afterFailures === 0) return;
    await this.failures.delete({ loginKey: loginKey(subject) });
  }

  onApplicationBootstrap(): void {
    this.stopPruning = runPeriodically(
      'pruning login failures',
      PRUNE_EVERY_MS,
      () => this.pruneForgotten(),
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.stopPruning?.();
  }

  /** Rows whose failures are forgotten anyway. */
  async pruneForgotten(): Promise<number> {
    const result = await this.failures
      .createQueryBuilder()
      .delete()
      .where(`last_failed_at < now() - interval '${FAILURES_FORGOTTEN_AFTER}'`)
      .andWhere('(blocked_until IS NULL OR blocked_until < now())')
      .execute();
    return result.affected ?? 0;
  }
}
