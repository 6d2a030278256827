import { ProblemException } from '../common/problem.exception.js';

/** Someone else's device is as unknown as a made-up id. */
export class DeviceNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'device-not-found',
      title: 'Not Found',
      detail: 'No such known device.',
    });
  }
}
