import { ProblemException } from '../common/problem.exception.js';

/** How a login's second step can be answered. */
export type SecondFactorMethod = 'totp' | 'recovery_code';

/**
 * The password was right and the account has a second factor (issue #20): no tokens yet.
 * `detail` is for clients that know nothing of second factors; new ones read `mfa_token`.
 */
export class MfaRequiredError extends ProblemException {
  constructor(mfaToken: string, methods: readonly SecondFactorMethod[], expiresIn: number) {
    super({
      status: 403,
      code: 'mfa-required',
      title: 'Forbidden',
      detail:
        'This account has two-step verification. Send the code from your authenticator app, or a recovery code, to POST /auth/mfa/verify with the mfa_token.',
      extensions: { mfa_token: mfaToken, methods, expires_in: expiresIn },
    });
  }
}

/** Unknown, expired, used, out of checks, or presented by another client: one answer. */
export class InvalidMfaTokenError extends ProblemException {
  constructor() {
    super({
      status: 401,
      code: 'invalid-mfa-token',
      title: 'Unauthorized',
      detail: 'This mfa_token is invalid, expired or used up. Log in again.',
    });
  }
}

/** A wrong code at POST /auth/mfa/verify; the mfa_token keeps its remaining checks. */
export class InvalidMfaCodeError extends ProblemException {
  constructor() {
    super({
      status: 401,
      code: 'invalid-mfa-code',
      title: 'Unauthorized',
      detail: 'The code is incorrect, expired or already used.',
    });
  }
}

/** 403, not 401, on bearer routes: the access token is fine (as `wrong-password`). */
export class WrongMfaCodeError extends ProblemException {
  constructor(field: string) {
    super({
      status: 403,
      code: 'wrong-mfa-code',
      title: 'Forbidden',
      detail: 'The code is incorrect, expired or already used.',
      errors: [{ field, message: 'is incorrect, expired or already used' }],
    });
  }
}

/**
 * A session of someone whose role requires a second factor they have not enrolled
 * (MFA_REQUIRED_ROLES): it reaches the enrolment routes only, and says how to get out.
 */
export class MfaEnrolmentRequiredError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'mfa-enrolment-required',
      title: 'Forbidden',
      detail:
        'Your role requires two-step verification. Set it up first: POST /auth/mfa/totp/setup, then POST /auth/mfa/totp/confirm with a code from your authenticator app, then POST /auth/refresh for tokens that reach everything.',
    });
  }
}

export class StepUpRequiredError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'step-up-required',
      title: 'Forbidden',
      detail:
        'This change needs your second factor: send a current code in the X-MFA-Code header, or sign in again with it (it counts for 5 minutes).',
    });
  }
}

export class MfaAlreadyEnabledError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'mfa-already-enabled',
      title: 'Conflict',
      detail: 'Two-step verification is already on. Disable it first to set up another app.',
    });
  }
}

export class MfaNotEnabledError extends ProblemException {
  constructor(detail = 'Two-step verification is not on for this account.') {
    super({ status: 409, code: 'mfa-not-enabled', title: 'Conflict', detail });
  }
}

/** Production without MFA_ENCRYPTION_KEY: secrets could not be stored safely. */
export class MfaUnavailableError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'mfa-unavailable',
      title: 'Service Unavailable',
      detail: 'Two-step verification cannot be set up on this server yet.',
    });
  }
}
