import { ProblemException } from '../common/problem.exception.js';

/** A reset link would not work: the reset flow refuses disabled accounts. */
export class UserDisabledError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'user-disabled',
      title: 'Conflict',
      detail: 'The account is disabled: enable it first.',
    });
  }
}
