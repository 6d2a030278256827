import { ProblemException } from '../common/problem.exception.js';

export class SessionNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'session-not-found',
      title: 'Not Found',
      detail: 'No active session of yours has this id.',
    });
  }
}
