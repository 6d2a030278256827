import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { QueryFailedError } from 'typeorm';
import { PROBLEM_TYPE_BASE, ProblemException, type FieldError } from './problem.exception.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

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

export interface RenderedProblem {
  body: ProblemDetails;
  headers: Record<string, string>;
  /** Set for 5xx we did not expect: the caller logs it, the client never sees it. */
  unexpected?: unknown;
}

const UNIQUE_VIOLATION = '23505';
// serialization_failure, deadlock_detected: the transaction lost to a concurrent one and rolled
// back whole; the same request again normally goes through.
const LOST_TO_CONCURRENT = new Set(['40001', '40P01']);
// character_not_in_repertoire, untranslatable_character: text PostgreSQL cannot store.
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);
// Class 08 (connection exception), 57P01-57P03 (server shutting down / cannot connect now).
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123])/;
const UNAVAILABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i;

function databaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  const code = (cause as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NETWORK_CODES.has(code))
  ) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.test(error.message);
}

function plain(status: number, detail: string, code?: string): ProblemDetails {
  return {
    type: code ? PROBLEM_TYPE_BASE + code : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
  };
}

function withAuthChallenge(
  status: number,
  headers: Record<string, string>,
): Record<string, string> {
  // RFC 9110 §15.5.2: a 401 carries a challenge; RFC 6750 names the scheme.
  if (status === 401 && !headers['WWW-Authenticate']) {
    return { ...headers, 'WWW-Authenticate': 'Bearer realm="whazz-audio"' };
  }
  return headers;
}

/** Fastify's own errors (body parsing, limits) carry a 4xx `statusCode` and a safe message. */
function fastifyClientError(error: unknown): { status: number; message: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return { status, message: error.message };
}

function renderCore(error: unknown): RenderedProblem {
  if (error instanceof ProblemException) {
    const { status, code, title, detail, errors, headers, extensions } = error.problem;
    const body: ProblemDetails = {
      ...extensions,
      type: PROBLEM_TYPE_BASE + code,
      title,
      status,
      detail,
    };
    if (errors) body.errors = errors;
    return { body, headers: headers ?? {} };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const body = plain(status, status >= 500 ? (STATUS_CODES[status] ?? 'Error') : error.message);
    // Terminus reports which checks failed; a readiness probe can show that.
    if (typeof response === 'object' && 'details' in response) body.checks = response.details;
    return { body, headers: {} };
  }
  const sqlState =
    error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
  if (sqlState !== undefined && UNSTORABLE_TEXT.has(sqlState)) {
    return {
      body: plain(422, 'The request contains characters that cannot be stored.', 'unstorable-text'),
      headers: {},
    };
  }
  if (sqlState === UNIQUE_VIOLATION) {
    return {
      body: plain(409, 'The request conflicts with an existing record.', 'conflict'),
      headers: {},
    };
  }
  if (sqlState !== undefined && LOST_TO_CONCURRENT.has(sqlState)) {
    return {
      body: plain(503, 'A concurrent change got in the way; try again.', 'service-unavailable'),
      headers: { 'Retry-After': '1' },
      // Logged: deadlocks point at an inconsistent lock order worth fixing.
      unexpected: error,
    };
  }
  if (databaseUnavailable(error)) {
    return {
      body: plain(503, 'The database is unavailable; try again shortly.', 'service-unavailable'),
      headers: { 'Retry-After': '5' },
      unexpected: error,
    };
  }
  // Fastify's router errors (bad URL encoding, over-long path parameter) via frameworkErrors.
  const clientError = fastifyClientError(error);
  if (clientError) return { body: plain(clientError.status, clientError.message), headers: {} };
  return {
    body: plain(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'Something went wrong on our side; it has been logged.',
    ),
    headers: {},
    unexpected: error,
  };
}

/** Any thrown value to RFC 9457 problem details. The one place errors get their HTTP shape. */
export function renderProblem(
  error: unknown,
  context: { requestId?: string; path?: string },
): RenderedProblem {
  const rendered = renderCore(error);
  if (context.path) rendered.body.instance = context.path.split('?')[0];
  if (context.requestId) rendered.body.request_id = context.requestId;
  rendered.headers = withAuthChallenge(rendered.body.status, rendered.headers);
  return rendered;
}
