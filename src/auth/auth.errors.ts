import { ProblemException } from '../common/problem.exception.js';

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
