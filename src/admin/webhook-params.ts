import { Param, ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationError } from '../common/problem.exception.js';

/** The `:id` of a webhook endpoint: a UUID, or 422 (never a database error). */
export const EndpointIdParam = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new RequestValidationError([{ field: 'id', message: 'must be a UUID' }]),
    }),
  );

/** A delivery's `:deliveryId`: a positive whole number, or 422. */
export const DeliveryIdParam = () =>
  Param('deliveryId', {
    transform(value: string) {
      if (!/^[1-9][0-9]{0,18}$/.test(value)) {
        throw new RequestValidationError([
          { field: 'deliveryId', message: 'must be a delivery id' },
        ]);
      }
      return value;
    },
  });
