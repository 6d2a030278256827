import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';

export class RefreshTokenDto {
  /** The refresh token from the last login or refresh. It can be used once. */
  @NoNulCharacter()
  @MaxLength(512)
  @IsNotEmpty()
  @IsString()
  refresh_token: string;
}
