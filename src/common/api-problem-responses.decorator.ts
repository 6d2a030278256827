import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';

import { PROBLEM_CONTENT_TYPE } from './problem-details.js';

const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed JSON',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'The account is disabled',
  404: 'Not found',
  408: 'The request took longer than `REQUEST_TIMEOUT_SECONDS` to arrive; the connection closes',
  409: 'Conflicts with an existing record',
  413: 'Body larger than 100 kB',
  422: 'The body failed validation; `errors` lists each field',
  429: 'Too many requests: wait the seconds in `Retry-After`',
  503: 'The database, password hashing or token signing is unavailable for now: retry after `Retry-After`',
};

/**
 * Documents problem-details error responses; every route gets 400, 408, 413, 422, 429 and 503
 * as well (a route exempt from rate limits still lists 429: the list is the service's, not the
 * route's).
 */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([...statuses, 400, 408, 413, 422, 429, 503])].sort();
  return applyDecorators(
    ...all.map((status) =>
      ApiResponse({
        status,
        description: DEFAULT_DESCRIPTIONS[status] ?? 'Error',
        content: {
          [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
        },
      }),
    ),
  );
}

/** A route that needs `Authorization: Bearer <access_token>`; documents the 401 too. */
export function BearerAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiBearerAuth('access-token'), ApiProblemResponses(401));
}
