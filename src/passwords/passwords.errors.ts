import { ProblemException } from '../common/problem.exception.js';

/** No password hashing thread could take the check (one failed, or the instance is stopping). */
export class PasswordHashingUnavailableError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'service-unavailable',
      title: 'Service Unavailable',
      detail: 'Passwords cannot be checked on this instance right now; try again shortly.',
      headers: { 'Retry-After': '5' },
    });
  }
}
