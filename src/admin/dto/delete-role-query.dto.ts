import { IsOptional } from 'class-validator';
import { RoleName } from './role-name.decorator.js';

export class DeleteRoleQueryDto {
  /** The role the holders of the deleted one get instead; required while anyone holds it. */
  @RoleName()
  @IsOptional()
  reassign_to?: string;
}
