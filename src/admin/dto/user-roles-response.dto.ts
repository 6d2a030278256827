export class UserRolesResponseDto {
  user_id: string;

  /** The roles the account now holds, sorted. @example ["support"] */
  roles: string[];
}
