import { RoleName } from './role-name.decorator.js';

export class RenameRoleDto {
  /** The new name. @example "billing-support" */
  @RoleName()
  name: string;
}
