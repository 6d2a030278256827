import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  /**
   * The username or the email address, either in any case.
   * @example "alice"
   */
  @IsString()
  @IsNotEmpty()
  @MaxLength(254)
  username_or_email: string;

  /** @example "correct horse battery staple" */
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}
