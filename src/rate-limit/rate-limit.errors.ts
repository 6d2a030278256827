import { ProblemException } from '../common/problem.exception.js';

export class RateLimitedError extends ProblemException {
  constructor(retryAfterSeconds: number) {
    super({
      status: 429,
      code: 'rate-limited',
      title: 'Too Many Requests',
      detail: `Too many requests; try again in ${retryAfterSeconds} s.`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}
