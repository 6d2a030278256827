/** One field's problem in a `422` (the service's `errors` member). */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem details body, as every error of the service is. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const PROBLEM_TYPE_BASE = 'https://whazz.audio/problems/';

/** An answer of the service that is not a success, with its problem details. */
export class ProblemError extends Error {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: FieldError[];
  /** The whole body, extension members (`mfa_token`, `retry_after`, ...) included. */
  readonly body: ProblemDetails;

  constructor(body: ProblemDetails) {
    super(`${body.status} ${body.title}: ${body.detail}`);
    this.name = 'ProblemError';
    this.type = body.type;
    this.title = body.title;
    this.status = body.status;
    this.detail = body.detail;
    if (body.errors) this.errors = body.errors;
    this.body = body;
  }

  /** The last part of a service problem type (`invalid-refresh-token`), else undefined. */
  get code(): string | undefined {
    return this.type.startsWith(PROBLEM_TYPE_BASE)
      ? this.type.slice(PROBLEM_TYPE_BASE.length)
      : undefined;
  }

  /** From an answer and its parsed body; a body that is not problem details still makes one. */
  static from(response: Response, body: unknown): ProblemError {
    const given = (
      typeof body === 'object' && body !== null ? body : {}
    ) as Partial<ProblemDetails>;
    return new ProblemError({
      ...given,
      type: typeof given.type === 'string' ? given.type : 'about:blank',
      title: typeof given.title === 'string' ? given.title : response.statusText || 'Error',
      status: typeof given.status === 'number' ? given.status : response.status,
      detail: typeof given.detail === 'string' ? given.detail : '',
    });
  }
}
