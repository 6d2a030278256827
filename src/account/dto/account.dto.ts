import { AccountEmail } from './account-email.decorator.js';
import { AccountTokenField } from './account-token.decorator.js';
import { CurrentPassword } from '../../passwords/current-password.decorator.js';
import { IsNewPassword } from '../../passwords/is-new-password.decorator.js';

export class VerifyEmailDto {
  /** The `token` query parameter of the link in the mail. */
  @AccountTokenField()
  token: string;
}

export class VerificationRequestDto {
  /** A new link goes there if it still needs confirming. @example "alice@example.com" */
  @AccountEmail()
  email: string;
}

export class ForgotPasswordDto {
  /** @example "alice@example.com" */
  @AccountEmail()
  email: string;
}

export class ResetPasswordDto {
  /** The `token` query parameter of the link in the reset mail. */
  @AccountTokenField()
  token: string;

  /** The same rules as at signup. @example "a brand new pass phrase" */
  @IsNewPassword()
  new_password: string;
}

export class ChangePasswordDto {
  @CurrentPassword()
  current_password: string;

  /** The same rules as at signup. @example "a brand new pass phrase" */
  @IsNewPassword()
  new_password: string;
}

export class ChangeEmailDto {
  /** Changes only once the link mailed there is followed. @example "alice@new.example" */
  @AccountEmail()
  new_email: string;

  @CurrentPassword()
  password: string;
}

export class DeleteAccountDto {
  @CurrentPassword()
  password: string;
}
