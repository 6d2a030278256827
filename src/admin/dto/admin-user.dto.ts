import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { AccountEmail } from '../../account/dto/account-email.decorator.js';
import { AccountUsername } from '../../account/dto/account-username.decorator.js';
import { IsTimestamp } from '../../common/validation/is-timestamp.decorator.js';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import { IsNewPassword } from '../../passwords/is-new-password.decorator.js';

/** Only JSON `true` and `false`: a string "false" would otherwise read as true. */
const StrictBoolean = () => IsBoolean({ message: 'must be true or false' });

export class CreateAdminUserDto {
  /** @example "bob@example.com" */
  @AccountEmail()
  email: string;

  /** Same rules as signup. @example "bob" */
  @AccountUsername()
  username: string;

  /**
   * A first password, same rules as signup. Without it the account has none that anyone
   * knows: send `send_set_password_link`, or its owner uses "Forgot password".
   */
  @IsOptional()
  @IsNewPassword()
  password?: string;

  /** Mails a set-password link (the password-reset link) to `email`. */
  @IsOptional()
  @StrictBoolean()
  send_set_password_link?: boolean;
}

export class UpdateAdminUserDto {
  /** A new address; it is unverified until the link mailed there is followed. */
  @IsOptional()
  @AccountEmail()
  email?: string;

  /** Same rules as signup. */
  @IsOptional()
  @AccountUsername({ optional: true })
  username?: string;

  /** `false` disables the account as `POST .../disable` does (sessions end); `true` enables it. */
  @IsOptional()
  @StrictBoolean()
  is_active?: boolean;
}

export class DisableAdminUserDto {
  /**
   * Why, for the audit log (never shown to the user).
   * @example "Chargeback fraud, ticket 4711"
   */
  @NoNulCharacter()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @MinLength(1, { message: 'must not be empty' })
  @IsString()
  reason: string;

  /** When the ban lifts by itself (RFC 3339, in the future); absent: until enabled. */
  @IsOptional()
  @IsTimestamp()
  until?: Date;
}

export class AdminActionReasonDto {
  /** Why, for the audit log. */
  @IsOptional()
  @NoNulCharacter()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @IsString()
  reason?: string;
}

export class ImpersonateUserDto {
  /**
   * Why, for the audit log (never shown to the user): the support ticket, say.
   * @example "Ticket 4711: playlist export fails"
   */
  @NoNulCharacter()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @MinLength(1, { message: 'must not be empty' })
  @IsString()
  reason: string;
}

export class ResetUserMfaDto {
  /**
   * Why, for the audit log (never shown to the user): how the owner proved who they are.
   * @example "Lost phone; identity checked by video call, ticket 4711"
   */
  @NoNulCharacter()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @MinLength(1, { message: 'must not be empty' })
  @IsString()
  reason: string;
}
