import { ProblemException } from '../common/problem.exception.js';

/** The same body whether or not the password would have been right: it was never checked. */
export class LoginBackoffError extends ProblemException {
  constructor(retryAfterSeconds: number) {
    super({
      status: 429,
      code: 'login-backoff',
      title: 'Too Many Requests',
      detail: `Too many failed logins for this account; try again in ${retryAfterSeconds} s.`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}
