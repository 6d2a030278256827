import { AccountEmail } from '../../account/dto/account-email.decorator.js';
import { AccountUsername } from '../../account/dto/account-username.decorator.js';
import { IsNewPassword } from '../../passwords/is-new-password.decorator.js';

export class SignupDto {
  /**
   * Stored trimmed and lower-cased; at most 254 characters.
   * @example "alice@example.com"
   */
  @AccountEmail()
  email: string;

  /**
   * 3 to 32 of `A-Z a-z 0-9 _ . -`, at least one a letter or digit; shown as typed. Unique
   * ignoring case and look-alikes: `biII`, `b1ll` and `BILL` are all `bill`.
   * @example "alice"
   */
  @AccountUsername()
  username: string;

  /**
   * At least 8 characters and at most 72 bytes of UTF-8, after NFKC normalisation.
   * @example "correct horse battery staple"
   */
  @IsNewPassword()
  password: string;
}
