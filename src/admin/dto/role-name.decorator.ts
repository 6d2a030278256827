import { applyDecorators } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';

/** Lower-case letter first, then 1 to 39 of `a-z 0-9 _ -`: safe in URLs, logs and claims. */
export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{1,39}$/;

export function RoleName(): PropertyDecorator {
  return applyDecorators(
    Matches(ROLE_NAME_PATTERN, {
      message: 'must be 2 to 40 characters of a-z, 0-9, _ and -, starting with a letter',
    }),
    IsString(),
  );
}
