import { IsString, Matches } from 'class-validator';
import { AccountEmail } from '../../account/dto/account-email.decorator.js';
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
  // The top rule is the one the OpenAPI document shows as the pattern: the alphabet.
  @Matches(/^[A-Za-z0-9_.-]{3,32}$/, {
    message: 'must be 3 to 32 characters of A-Z, a-z, 0-9, _ . -',
  })
  // Punctuation alone (`...`, `_-_`) names no one and looks like every other such name.
  @Matches(/[A-Za-z0-9]/, { message: 'must contain a letter or a digit' })
  @IsString()
  username: string;

  /**
   * At least 8 characters and at most 72 bytes of UTF-8, after NFKC normalisation.
   * @example "correct horse battery staple"
   */
  @IsNewPassword()
  password: string;
}
