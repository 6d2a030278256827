import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';

export class RefreshTokenDto {
  /**
   * The refresh token from the last login or refresh. It can be used once. Room for an access
   * token (an EdDSA one with its `kid` passes 512 characters): sent here by mistake, it is
   * answered as a wrong token (401), not a malformed body.
   */
  @NoNulCharacter()
  @MaxLength(4096)
  @IsNotEmpty()
  @IsString()
  refresh_token: string;
}
