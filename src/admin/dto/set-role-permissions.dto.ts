import { ArrayMaxSize, IsArray, IsString } from 'class-validator';

export class SetRolePermissionsDto {
  /** Replaces the role's permissions; an unknown one is a 422 naming it. @example ["users:read"] */
  @IsString({ each: true })
  @ArrayMaxSize(64)
  @IsArray()
  permissions: string[];
}
