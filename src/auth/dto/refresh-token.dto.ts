import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  /** The refresh token from the last login or refresh. It can be used once. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  refresh_token: string;
}
