import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const NOT_WHILE_IMPERSONATING_KEY = 'notWhileImpersonating';

/**
 * Refuses the route (403 `impersonation-forbidden`) to a session an administrator opened as
 * the user (issue #19): what takes the account over (password, email, second factors,
 * deletion). `action` completes "An impersonated session cannot …". The permissions guard
 * enforces it; Swagger marks the operation `x-not-while-impersonating`.
 */
export function NotWhileImpersonating(action: string) {
  return applyDecorators(
    SetMetadata(NOT_WHILE_IMPERSONATING_KEY, action),
    ApiExtension('x-not-while-impersonating', true),
  );
}
