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

/** Issue #19: an administrator never acts as another, whose rights would exceed support's. */
export class AdministratorImpersonationError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'impersonation-of-administrator',
      title: 'Forbidden',
      detail: 'This account holds the role `admin`: administrators cannot be impersonated.',
    });
  }
}

/** Acting as oneself would only hide one's own actions behind an `act` claim. */
export class SelfImpersonationError extends ProblemException {
  constructor() {
    super({
      status: 422,
      code: 'impersonation-of-self',
      title: 'Unprocessable Content',
      detail: 'You cannot impersonate your own account.',
    });
  }
}
