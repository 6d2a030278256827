import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiResponse } from '@nestjs/swagger';
import { BearerAuth } from '../common/api-problem-responses.decorator.js';
import { PROBLEM_CONTENT_TYPE } from '../common/problem-details.js';
import type { Permission } from './permissions.js';

export const REQUIRED_PERMISSIONS_KEY = 'requiredPermissions';

/**
 * The permissions a route needs, all of them; the global permissions guard enforces it after
 * the bearer token is checked. Swagger lists them on the operation (`x-permissions`) and in
 * its 403 response.
 */
export function RequirePermissions(...permissions: [Permission, ...Permission[]]) {
  const listed = permissions.map((permission) => `\`${permission}\``).join(', ');
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSIONS_KEY, permissions),
    BearerAuth(),
    ApiExtension('x-permissions', permissions),
    ApiResponse({
      status: 403,
      description: `The account lacks the permission ${listed}`,
      content: {
        [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } },
      },
    }),
  );
}
