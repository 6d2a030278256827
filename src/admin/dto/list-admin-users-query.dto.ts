import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { toBoolean } from '../../config/feature-config.js';
import { IsTimestamp } from '../../common/validation/is-timestamp.decorator.js';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';

export const ADMIN_USER_SORTS = ['created_at', 'username', 'email'] as const;
export type AdminUserSort = (typeof ADMIN_USER_SORTS)[number];

const QueryBoolean = () => (target: object, key: string | symbol) => {
  Transform(toBoolean)(target, key);
  IsBoolean({ message: 'must be true or false' })(target, key);
};

export class ListAdminUsersQueryDto {
  /**
   * Accounts whose email or username starts with this, ignoring case.
   * @example "ali"
   */
  @IsOptional()
  @NoNulCharacter()
  @MaxLength(254, { message: 'must be at most 254 characters' })
  @MinLength(1, { message: 'must not be empty' })
  @IsString()
  q?: string;

  /** Only enabled (`true`) or disabled (`false`) accounts. */
  @IsOptional()
  @QueryBoolean()
  active?: boolean;

  /** Only accounts whose email is (`true`) or is not (`false`) verified. */
  @IsOptional()
  @QueryBoolean()
  verified?: boolean;

  /**
   * Only holders of this role.
   * @example "support"
   */
  @IsOptional()
  @NoNulCharacter()
  @MaxLength(64, { message: 'must be at most 64 characters' })
  @IsString()
  role?: string;

  /** Only accounts created before this time (RFC 3339). */
  @IsOptional()
  @IsTimestamp()
  created_before?: Date;

  /** Only accounts created after this time (RFC 3339). */
  @IsOptional()
  @IsTimestamp()
  created_after?: Date;

  /** The order of the pages. */
  @IsOptional()
  @IsIn(ADMIN_USER_SORTS, { message: `must be one of ${ADMIN_USER_SORTS.join(', ')}` })
  sort: AdminUserSort = 'created_at';

  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'must be asc or desc' })
  order: 'asc' | 'desc' = 'desc';

  /**
   * Accounts per page.
   * @example 50
   */
  @IsOptional()
  @Type(() => Number)
  @Max(100, { message: 'must be at most 100' })
  @Min(1, { message: 'must be at least 1' })
  @IsInt({ message: 'must be a whole number' })
  limit: number = 50;

  /**
   * `next_cursor` from the previous page, with the same filters and order: an edited cursor,
   * or one from another query, is refused (400).
   */
  @IsOptional()
  @MaxLength(1024, { message: 'must be a next_cursor from a previous page' })
  @IsString()
  cursor?: string;
}
