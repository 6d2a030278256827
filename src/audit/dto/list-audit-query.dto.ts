import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsTimestamp } from '../../common/validation/is-timestamp.decorator.js';

export class ListAuditQueryDto {
  /** Only actions by this administrator (a user id). */
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  actor?: string;

  /** Only actions on this user (a user id). */
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  target_user?: string;

  /**
   * Only this action.
   * @example "user.disabled"
   */
  @IsOptional()
  @Matches(/^[a-z][a-z_]*\.[a-z][a-z_]*$/, { message: 'must be an action such as user.disabled' })
  @MaxLength(64, { message: 'must be at most 64 characters' })
  @IsString()
  action?: string;

  /** Only entries at or after this time (RFC 3339). */
  @IsOptional()
  @IsTimestamp()
  from?: Date;

  /** Only entries before this time (RFC 3339). */
  @IsOptional()
  @IsTimestamp()
  to?: Date;

  /**
   * Entries per page.
   * @example 50
   */
  @IsOptional()
  @Type(() => Number)
  @Max(100, { message: 'must be at most 100' })
  @Min(1, { message: 'must be at least 1' })
  @IsInt({ message: 'must be a whole number' })
  limit: number = 50;

  /** `next_cursor` from the previous page, unchanged: an edited cursor is refused (400). */
  @IsOptional()
  @MaxLength(1024, { message: 'must be a next_cursor from a previous page' })
  @IsString()
  cursor?: string;
}
