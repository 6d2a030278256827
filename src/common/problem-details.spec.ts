import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { renderProblem } from './problem-details.js';
import { ProblemException, RequestValidationError } from './problem.exception.js';

const render = (error: unknown) =>
  renderProblem(error, { requestId: 'req-1', path: '/auth/x?token=secret' });

function driverError(code: string, message = 'boom'): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], Object.assign(new Error(message), { code }));
}

describe('renderProblem', () => {
  it('renders a domain problem with its type URI, request id and path without the query string', () => {
    const { body, headers } = render(
      new ProblemException({
        status: 403,
        code: 'account-disabled',
        title: 'Forbidden',
        detail: 'This account is disabled.',
      }),
    );
    expect(body).toEqual({
      type: 'https://whazz.audio/problems/account-disabled',
      title: 'Forbidden',
      status: 403,
      detail: 'This account is disabled.',
      instance: '/auth/x',
      request_id: 'req-1',
    });
    expect(headers).toEqual({});
  });

  it('keeps the field list of a validation problem', () => {
    const { body } = render(
      new RequestValidationError([{ field: 'email', message: 'must be a valid email address' }]),
    );
    expect(body.status).toBe(422);
    expect(body.errors).toEqual([{ field: 'email', message: 'must be a valid email address' }]);
  });

  it('adds a Bearer challenge to every 401 that has none', () => {
    const { headers } = render(
      new ProblemException({ status: 401, code: 'x', title: 'Unauthorized', detail: 'no' }),
    );
    expect(headers['WWW-Authenticate']).toBe('Bearer realm="whazz-audio"');
  });

  it('renders Nest HTTP exceptions as about:blank with their message', () => {
    const { body } = render(new NotFoundException('Cannot GET /x'));
    expect(body).toMatchObject({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'Cannot GET /x',
    });
  });

  it('turns a stray unique violation into 409, never 500', () => {
    expect(render(driverError('23505')).body.status).toBe(409);
  });

  it.each([['08006'], ['57P01'], ['ECONNREFUSED']])(
    'turns connection failure %s into 503 with Retry-After',
    (code) => {
      const { body, headers, unexpected } = render(driverError(code));
      expect(body.status).toBe(503);
      expect(headers['Retry-After']).toBe('5');
      expect(unexpected).toBeDefined();
    },
  );

  it.each([['40P01'], ['40001']])(
    'turns a deadlock or serialization failure (%s) into 503 with Retry-After, logged',
    (code) => {
      const { body, headers, unexpected } = render(driverError(code, 'deadlock detected'));
      expect(body).toMatchObject({
        status: 503,
        type: 'https://whazz.audio/problems/service-unavailable',
        detail: 'A concurrent change got in the way; try again.',
      });
      expect(headers['Retry-After']).toBe('1');
      expect(unexpected).toBeDefined();
    },
  );

  it('recognises a dropped connection by its message', () => {
    expect(render(new Error('Connection terminated unexpectedly')).body.status).toBe(503);
  });

  it('hides everything about an unknown error from the client but hands it to the logger', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'password_hash')");
    const { body, unexpected } = render(error);
    expect(body).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(JSON.stringify(body)).not.toContain('password_hash');
    expect(unexpected).toBe(error);
  });

  it('passes on the checks of a failed health check', () => {
    const { body } = render(
      new ServiceUnavailableException({
        status: 'error',
        details: { database: { status: 'down' } },
      }),
    );
    expect(body).toMatchObject({ status: 503, checks: { database: { status: 'down' } } });
  });

  it('passes on the 4xx status and message of a Fastify router error', () => {
    const badUrl = Object.assign(new Error("'/%E0%A4%A' is not a valid url component"), {
      statusCode: 400,
      code: 'FST_ERR_BAD_URL',
    });
    expect(render(badUrl).body).toMatchObject({
      status: 400,
      detail: "'/%E0%A4%A' is not a valid url component",
    });
  });

  it('answers text PostgreSQL cannot store with 422, not 500', () => {
    expect(render(driverError('22021')).body).toMatchObject({
      status: 422,
      type: 'https://whazz.audio/problems/unstorable-text',
    });
  });
});
