import { Injectable } from '@nestjs/common';
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

/** Whether this process should still receive traffic: not once it has been told to stop. */
@Injectable()
export class ReadinessService {
  private draining = false;

  /** From SIGTERM on, the readiness probe fails while requests are still served. */
  beginDraining(): void {
    this.draining = true;
  }

  assertReady(): void {
    if (this.draining) throw new ShuttingDownError();
  }
}
