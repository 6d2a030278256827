import { applyDecorators } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';
import { ROLE_NAME_PATTERN } from '../../authorization/permissions.js';

export function RoleName(): PropertyDecorator {
  return applyDecorators(
    Matches(ROLE_NAME_PATTERN, {
      message: 'must be 2 to 40 characters of a-z, 0-9, _ and -, starting with a letter',
    }),
    IsString(),
  );
}
