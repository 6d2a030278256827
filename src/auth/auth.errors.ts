import { ProblemException } from '../common/problem.exception.js';

const REALM = 'realm="whazz-audio"';

export class InvalidCredentialsError extends ProblemException {
  constructor() {
    super({
      status: 401,
      code: 'invalid-credentials',
      title: 'Unauthorized',
      detail: 'Incorrect username/email or password.',
    });
  }
}

export class AccountDisabledError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'account-disabled',
      title: 'Forbidden',
      detail: 'This account is disabled.',
    });
  }
}

export class InvalidRefreshTokenError extends ProblemException {
  constructor() {
    super({
      status: 401,
      code: 'invalid-refresh-token',
      title: 'Unauthorized',
      detail: 'The refresh token is invalid, expired or revoked. Log in again.',
    });
  }
}

export class RefreshTokenReusedError extends ProblemException {
  constructor() {
    super({
      status: 401,
      code: 'refresh-token-reused',
      title: 'Unauthorized',
      detail:
        'This refresh token was already used, so the session has been ended to protect the account. Log in again.',
    });
  }
}

/** RFC 6750 §3: no `error` attribute when the request carried no credentials at all. */
export class AuthenticationRequiredError extends ProblemException {
  constructor() {
    super({
      status: 401,
      code: 'authentication-required',
      title: 'Unauthorized',
      detail: 'This endpoint needs an access token: send `Authorization: Bearer <access_token>`.',
      headers: { 'WWW-Authenticate': `Bearer ${REALM}` },
    });
  }
}

export class InvalidAccessTokenError extends ProblemException {
  constructor(detail = 'The access token is invalid.') {
    super({
      status: 401,
      code: 'invalid-token',
      title: 'Unauthorized',
      detail,
      headers: { 'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token"` },
    });
  }
}

/** No password hashing thread could take the check (one failed, or the instance is stopping). */
export class PasswordHashingUnavailableError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'service-unavailable',
      title: 'Service Unavailable',
      detail: 'Passwords cannot be checked on this instance right now; try again shortly.',
      headers: { 'Retry-After': '5' },
    });
  }
}
