import { ValidateIf } from 'class-validator';

/**
 * A field the body may leave out, but not send as `null`: class-validator's `@IsOptional()`
 * skips the checks for `null` too, and a `null` that reaches a service where a string was
 * promised is a 500 (the OpenAPI fuzzer found one). With this, `null` meets the field's own
 * checks and is refused with 422 like any other wrong type.
 */
export const Optional = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
