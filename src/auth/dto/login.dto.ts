import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  /**
   * The username or the email address, either in any case.
   * @example "alice"
   */
  @MaxLength(254)
  @IsNotEmpty()
  @IsString()
  username_or_email: string;

  /** @example "correct horse battery staple" */
  @MaxLength(1024)
  @IsNotEmpty()
  @IsString()
  password: string;
}
