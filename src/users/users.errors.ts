import { ProblemException } from '../common/problem.exception.js';

export type UniqueAccountField = 'email' | 'username';

/** Which unique rule a new value broke: the value itself, or (usernames) its look. */
export interface TakenBy {
  field: UniqueAccountField;
  /** Another account's username has the same skeleton (issue 18 point 10). */
  lookalike?: boolean;
}

export class AccountFieldTakenError extends ProblemException {
  constructor(taken: UniqueAccountField | TakenBy) {
    const { field, lookalike } = typeof taken === 'string' ? { field: taken } : taken;
    super({
      status: 409,
      code: `${field}-taken`,
      title: 'Conflict',
      detail: lookalike
        ? `An account with a ${field} that looks like this one already exists.`
        : `An account with this ${field} already exists.`,
      errors: [
        { field, message: lookalike ? 'looks too like one already taken' : 'is already taken' },
      ],
    });
  }
}

/** An account id that matches no account: one type and one text wherever an id is given. */
export class UserNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'user-not-found',
      title: 'Not Found',
      detail: 'No account has this id.',
    });
  }
}
