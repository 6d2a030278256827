import { Param, ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationError } from '../common/problem.exception.js';

/** The `:id` of an account: a UUID, or 422 (never a database error). */
export const UserIdParam = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new RequestValidationError([{ field: 'id', message: 'must be a UUID' }]),
    }),
  );
