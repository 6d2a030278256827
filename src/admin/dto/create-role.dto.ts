import { ArrayMaxSize, IsArray, IsString } from 'class-validator';
import { RoleName } from './role-name.decorator.js';

export class CreateRoleDto {
  /** @example "billing" */
  @RoleName()
  name: string;

  /**
   * Permissions named in code (see GET /admin/roles or docs/api.md); an unknown one is a 422
   * naming it. @example ["users:read"]
   */
  @IsString({ each: true })
  @ArrayMaxSize(64)
  @IsArray()
  permissions: string[];
}
