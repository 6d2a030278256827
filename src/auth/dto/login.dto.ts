import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { DeviceTokenFields } from '../../devices/dto/device-token-fields.dto.js';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import { CurrentPassword } from '../../passwords/current-password.decorator.js';

export class LoginDto extends DeviceTokenFields {
  /**
   * The username or the email address, either in any case.
   * @example "alice"
   */
  @NoNulCharacter()
  @MaxLength(254)
  @IsNotEmpty()
  @IsString()
  username_or_email: string;

  /** @example "correct horse battery staple" */
  @CurrentPassword()
  password: string;
}
