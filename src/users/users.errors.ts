import { ProblemException } from '../common/problem.exception.js';

export type UniqueAccountField = 'email' | 'username';

export class AccountFieldTakenError extends ProblemException {
  constructor(field: UniqueAccountField) {
    super({
      status: 409,
      code: `${field}-taken`,
      title: 'Conflict',
      detail: `An account with this ${field} already exists.`,
      errors: [{ field, message: 'is already taken' }],
    });
  }
}
