import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { RequestValidationError, type FieldError } from './problem.exception.js';

function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = error.property
      ? parent
        ? `${parent}.${error.property}`
        : error.property
      : 'body';
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      message:
        rule === 'whitelistValidation'
          ? 'is not an accepted field'
          : rule === 'unknownValue'
            ? 'the request body must be a JSON object'
            : message,
    }));
    return own.concat(fieldErrors(error.children ?? [], field === 'body' ? '' : field));
  });
}

/** The one validation setup, used by the global pipe and by guards that must check a body first. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // One message per field: the first rule it breaks, in the order the DTO declares them.
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationError(fieldErrors(errors)),
  });
}
