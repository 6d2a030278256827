import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const OPEN_BEFORE_MFA_ENROLMENT_KEY = 'openBeforeMfaEnrolment';

/**
 * A bearer route a session limited to enrolment (MFA_REQUIRED_ROLES, issue #20) may reach:
 * the enrolment routes, GET /auth/me and POST /auth/logout. Every other bearer route answers
 * such a session 403 `mfa-enrolment-required` (JwtAuthGuard). Swagger marks the operation
 * `x-open-before-mfa-enrolment`.
 */
export function OpenBeforeMfaEnrolment() {
  return applyDecorators(
    SetMetadata(OPEN_BEFORE_MFA_ENROLMENT_KEY, true),
    ApiExtension('x-open-before-mfa-enrolment', true),
  );
}
