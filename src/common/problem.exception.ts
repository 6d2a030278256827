import { HttpException } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  status: number;
  /** Stable, kebab-case; becomes the problem `type` URI. */
  code: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** RFC 9457 §3.2 extension members, e.g. the `mfa_token` of `mfa-required` (issue #20). */
  extensions?: Record<string, unknown>;
}

export const PROBLEM_TYPE_BASE = 'https://whazz.audio/problems/';

/**
 * An error meant for the client: the global filter renders it as RFC 9457 problem details.
 * Features subclass it with fixed codes so clients can branch on `type`, not on wording.
 */
export class ProblemException extends HttpException {
  constructor(readonly problem: Problem) {
    super(problem.detail, problem.status);
  }
}

export class RequestValidationError extends ProblemException {
  constructor(errors: FieldError[]) {
    super({
      status: 422,
      code: 'validation-failed',
      title: 'Unprocessable Content',
      detail: errors.map((error) => `${error.field}: ${error.message}`).join('; '),
      errors,
    });
  }
}
