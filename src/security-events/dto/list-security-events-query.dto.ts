import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class ListSecurityEventsQueryDto {
  /**
   * Events per page.
   * @example 20
   */
  @IsOptional()
  @Type(() => Number)
  @Max(100, { message: 'must be at most 100' })
  @Min(1, { message: 'must be at least 1' })
  @IsInt({ message: 'must be a whole number' })
  limit: number = 20;

  /** `next_cursor` from the previous page. */
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'must be a next_cursor from a previous page' })
  cursor?: string;
}
