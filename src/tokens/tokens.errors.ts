import { ProblemException } from '../common/problem.exception.js';

const REALM = 'realm="whazz-audio"';

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
