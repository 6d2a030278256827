/** A field that failed validation. */
export class FieldErrorDto {
  /** The JSON field, e.g. `email`; `body` when the body as a whole is wrong. */
  field: string;

  /** What is wrong with it, in a sentence. */
  message: string;
}

/** RFC 9457 problem details, the shape of every error this API returns (`application/problem+json`). */
export class ProblemDetailsDto {
  /** A URI naming the kind of problem; `about:blank` when the status says it all. */
  type: string;

  /** The HTTP status phrase or a short summary. */
  title: string;

  /** The HTTP status code. */
  status: number;

  /** What went wrong, in a sentence meant for a person. */
  detail: string;

  /** The request path. */
  instance?: string;

  /** The request id, also sent as the `x-request-id` header; quote it when reporting a problem. */
  request_id?: string;

  /** One entry per invalid field (validation problems only). */
  errors?: FieldErrorDto[];
}
