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
  /** `hasPassword`: an account opened through another provider has none to sign in with. */
  constructor(provider: string, hasPassword: boolean) {
    const signIn = hasPassword
      ? 'Sign in to it with its password'
      : 'Sign in to it the way it was opened (another provider), or set a password with forgot password,';
    super({
      status: 409,
      code: 'identity-link-required',
      title: 'Conflict',
      detail: `An account with this email address already exists. ${signIn} and link ${provider} from the account.`,
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

/** Issue #21 review: a redirect to a custom scheme or loopback http can be caught by another app. */
export class CodeChallengeRequiredError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'code-challenge-required',
      title: 'Bad Request',
      detail:
        'This redirect_uri is not https: send a PKCE code_challenge (code_challenge_method=S256), and its code_verifier with the code (RFC 8252 §8.1).',
      errors: [{ field: 'code_challenge', message: 'is required for this redirect_uri' }],
    });
  }
}

/** Unknown, expired, used, or started by another account: one answer for all. */
export class InvalidLinkCodeError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'invalid-link-code',
      title: 'Bad Request',
      detail:
        'The link code is invalid, expired, already used or was not started by this account. Start linking again.',
    });
  }
}

/** The provider account already signs in another account here. */
export class IdentityInUseError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'identity-in-use',
      title: 'Conflict',
      detail: 'This provider account already signs in to another account.',
    });
  }
}
