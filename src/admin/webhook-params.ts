import { Param, ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationError } from '../common/problem.exception.js';
import { DELIVERY_ID } from './dto/webhook-endpoint.dto.js';

/** The `:id` of a webhook endpoint: a UUID, or 422 (never a database error). */
export const EndpointIdParam = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new RequestValidationError([{ field: 'id', message: 'must be a UUID' }]),
    }),
  );

/** A delivery's `:deliveryId`: a positive whole number that fits a bigint, or 422. */
export const DeliveryIdParam = () =>
  Param('deliveryId', {
    transform(value: string) {
      if (!DELIVERY_ID.test(value)) {
        throw new RequestValidationError([
          { field: 'deliveryId', message: 'must be a delivery id' },
        ]);
      }
      return value;
    },
  });
