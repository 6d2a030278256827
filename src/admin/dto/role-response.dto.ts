import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { RoleView } from '../../authorization/roles.service.js';

export class RoleResponseDto {
  /** @example "support" */
  name: string;

  /** `admin` and `support`: cannot be renamed or deleted; `admin`'s permissions are fixed. */
  built_in: boolean;

  /** Sorted. @example ["sessions:revoke", "users:read", "users:reset-password"] */
  permissions: string[];

  /** How many accounts hold the role. */
  holders: number;

  @ApiTimestamp()
  created_at: string;

  @ApiTimestamp()
  updated_at: string;

  static from(role: RoleView): RoleResponseDto {
    return {
      name: role.name,
      built_in: role.builtIn,
      permissions: role.permissions,
      holders: role.holders,
      created_at: isoTimestamp(role.createdAt),
      updated_at: isoTimestamp(role.updatedAt),
    };
  }
}
