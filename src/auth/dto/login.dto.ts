import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DEVICE_TOKEN_PATTERN } from '../../devices/device-token.js';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import { CurrentPassword } from '../../passwords/current-password.decorator.js';

export class LoginDto {
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

  /**
   * The `device_token` an earlier login on this client answered, if it kept one (issue #20):
   * a device the account knows is not held back by the backoff others cause. A token that is
   * unknown, expired or another account's counts as none (and a new one is answered).
   * @example "Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgcmVhbCB0b2tlbg"
   */
  @Matches(DEVICE_TOKEN_PATTERN, { message: 'must be a device token from an earlier login' })
  @IsString()
  @IsOptional()
  device_token?: string;

  /**
   * Ask for a device token (the answer's `device_token`) without having one yet. Off by
   * default, so that a client that never sends one back gets the FastAPI token pair as before.
   * @example true
   */
  @IsBoolean()
  @IsOptional()
  request_device_token?: boolean;
}
