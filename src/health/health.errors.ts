import { ProblemException } from '../common/problem.exception.js';

export class ShuttingDownError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'shutting-down',
      title: 'Service Unavailable',
      detail: 'This instance is shutting down; send new requests elsewhere.',
    });
  }
}
