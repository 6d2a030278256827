import { ArrayMaxSize, IsArray, IsString } from 'class-validator';

export class SetUserRolesDto {
  /** Replaces the account's roles; an unknown one is a 422 naming it. @example ["support"] */
  @IsString({ each: true })
  @ArrayMaxSize(64)
  @IsArray()
  roles: string[];
}
