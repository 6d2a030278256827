import { ProblemException } from '../common/problem.exception.js';

/** One answer for unknown, expired, used, replaced and wrong-purpose tokens: nothing to probe. */
export class InvalidAccountTokenError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'invalid-account-token',
      title: 'Bad Request',
      detail: 'This link is invalid, has expired or was already used. Ask for a new one.',
    });
  }
}

/**
 * A new-address link followed after someone else took the address (issue #18). The link is
 * not used up: the change can finish if the address is freed, or be asked for again.
 */
export class NewEmailTakenError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'new-email-taken',
      title: 'Conflict',
      detail:
        'Another account took this address after the change was asked for, so the email address is unchanged. Ask for a change to another address.',
    });
  }
}

/** 403, not 401: the access token is fine, and a 401 would make clients sign the user out. */
export class WrongPasswordError extends ProblemException {
  constructor(field: string) {
    super({
      status: 403,
      code: 'wrong-password',
      title: 'Forbidden',
      detail: 'The password is incorrect.',
      errors: [{ field, message: 'is incorrect' }],
    });
  }
}

/** Names the public route for a new link: the account cannot sign in to use the other one. */
export class EmailNotVerifiedError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'email-not-verified',
      title: 'Forbidden',
      detail:
        'Confirm your email address first: follow the link we mailed you, or ask for a new one with POST /auth/verify-email/request and your email address.',
    });
  }
}

/**
 * An account opened through a sign-in provider has no password (issue #21 review): asking for
 * one is not a wrong guess, so it answers before the login backoff counts anything.
 */
export class PasswordNotSetError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'password-not-set',
      title: 'Conflict',
      detail:
        'This account has no password: it signs in through a provider. Set one through forgot password (POST /auth/forgot-password) first.',
    });
  }
}

/**
 * A change that an account with a password confirms with it: an account without one confirms
 * it with a sign-in of the last 5 minutes instead (issue #21 review).
 */
export class RecentSignInRequiredError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'recent-sign-in-required',
      title: 'Forbidden',
      detail:
        'This account has no password to confirm this change with: sign in again (within the last 5 minutes) and retry.',
    });
  }
}
