import { Injectable } from '@nestjs/common';
import { ShuttingDownError } from './health.errors.js';

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
