import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  /** The refresh token from the last login or refresh. It can be used once. */
  @MaxLength(512)
  @IsNotEmpty()
  @IsString()
  refresh_token: string;
}
