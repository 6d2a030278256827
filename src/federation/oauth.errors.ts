import { ProblemException } from '../common/problem.exception.js';

export class UnknownProviderError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'unknown-provider',
      title: 'Not Found',
      detail: 'No sign-in provider of this name is configured.',
    });
  }
}

/** Compared exactly: a trailing slash or a letter's case makes another URL (issue #21). */
export class RedirectUriNotAllowedError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'redirect-uri-not-allowed',
      title: 'Bad Request',
      detail: 'redirect_uri is not one of the app URLs this service may return to.',
      errors: [{ field: 'redirect_uri', message: 'is not an allowed redirect URI' }],
    });
  }
}

/** Missing, unknown, expired, already used, or for another provider: one answer for all. */
export class InvalidOAuthStateError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'invalid-oauth-state',
      title: 'Bad Request',
      detail: 'This sign-in is unknown, expired or already finished. Start it again from the app.',
    });
  }
}

export class InvalidLoginCodeError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'invalid-login-code',
      title: 'Bad Request',
      detail: 'The login code is invalid, expired or already used. Sign in again.',
    });
  }
}

/**
 * The provider's address belongs to an account here, but one of the two sides never proved
 * it: linking would let whoever registered the address at a provider take the account.
 */
export class IdentityLinkRequiredError extends ProblemException {
  constructor(provider: string) {
    super({
      status: 409,
      code: 'identity-link-required',
      title: 'Conflict',
      detail: `An account with this email address already exists. Sign in to it with its password and link ${provider} from the account.`,
    });
  }
}

export class ProviderEmailRequiredError extends ProblemException {
  constructor(provider: string) {
    super({
      status: 403,
      code: 'provider-email-not-verified',
      title: 'Forbidden',
      detail: `${provider} gave no verified primary email address, which a new account needs. Verify it there, or sign up with a password and link ${provider} afterwards.`,
    });
  }
}

export class ProviderUnavailableError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'provider-unavailable',
      title: 'Service Unavailable',
      detail: 'The sign-in provider cannot be reached for now. Try again shortly.',
      headers: { 'Retry-After': '30' },
    });
  }
}

export class IdentityNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'identity-not-found',
      title: 'Not Found',
      detail: 'This account has no linked sign-in with this id.',
    });
  }
}

export class LastSignInMethodError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'last-sign-in-method',
      title: 'Conflict',
      detail:
        'This is the only way to sign in to the account. Set a password (forgot password) or link another provider first.',
    });
  }
}
