import { IsBoolean, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { DeviceTokenFields } from '../../devices/dto/device-token-fields.dto.js';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import { CurrentPassword } from '../../passwords/current-password.decorator.js';
import { RecoveryCodeField, TotpCodeField } from './second-factor-fields.js';
import { Optional } from '../../common/validation/optional.decorator.js';

export class TotpSetupDto {
  /**
   * The account's password. An account without one (opened through a sign-in provider) sends
   * none: a sign-in within the last 5 minutes confirms the setup instead.
   */
  @Optional()
  @CurrentPassword()
  password?: string;
}

export class ConfirmTotpDto {
  /** The code the authenticator app shows for the new secret. @example "123456" */
  @TotpCodeField()
  code: string;
}

/** The password, and a code from the app or one recovery code (not both). */
export class SecondFactorCheckDto {
  /**
   * The account's password. An account without one (opened through a sign-in provider) sends
   * none: a sign-in within the last 5 minutes stands in for it, with the code still needed.
   */
  @Optional()
  @CurrentPassword()
  password?: string;

  /** The code the authenticator app shows now. @example "123456" */
  @TotpCodeField()
  code?: string;

  /** One of the recovery codes, instead of `code`; it is spent. @example "abcd-efgh-ijkl-mnop" */
  @RecoveryCodeField()
  recovery_code?: string;
}

export class MfaVerifyDto extends DeviceTokenFields {
  /** The `mfa_token` of the login's `mfa-required` answer. It works for 5 minutes, 5 codes. */
  @NoNulCharacter()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  mfa_token: string;

  /** The code the authenticator app shows now. @example "123456" */
  @TotpCodeField()
  code?: string;

  /** One of the recovery codes, instead of `code`; it is spent. @example "abcd-efgh-ijkl-mnop" */
  @RecoveryCodeField()
  recovery_code?: string;

  /**
   * Remember this device: its next logins skip the second step for
   * `MFA_REMEMBER_DEVICE_DAYS` (30 by default). The answer's `device_token` is what the
   * client presents then (as `device_token` on POST /auth/login).
   * @example true
   */
  @IsBoolean()
  @Optional()
  remember_device?: boolean;
}
