import type { Grants } from '../../authorization/authorization.service.js';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';
import type { User } from '../../users/entities/user.entity.js';

/** The signed-in account, and what it may do right now (issue #19). */
export class MeResponseDto extends UserResponseDto {
  /** The roles the account holds, sorted. @example ["support"] */
  roles: string[];

  /** Every permission those roles grant, sorted. @example ["sessions:revoke", "users:read"] */
  permissions: string[];

  static override from(user: User, grants?: Grants): MeResponseDto {
    return {
      ...UserResponseDto.from(user),
      roles: [...(grants?.roles ?? [])],
      permissions: [...(grants?.permissionList ?? [])],
    };
  }
}
