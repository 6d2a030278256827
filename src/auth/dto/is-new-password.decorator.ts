import { IsString, ValidateBy } from 'class-validator';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';
import {
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_CHARACTERS,
  passwordByteLength,
  passwordCharacterCount,
} from '../password-rules.js';
import { isCommonPassword } from '../password-policy.js';

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The rules for any password we are about to store that need only the password itself. */
export function IsNewPassword(): PropertyDecorator {
  const decorators = [
    IsString(),
    ValidateBy({
      name: 'passwordMinLength',
      validator: {
        validate: (value: unknown) => {
          const password = asString(value);
          return (
            password === undefined || passwordCharacterCount(password) >= MIN_PASSWORD_CHARACTERS
          );
        },
        defaultMessage: () => `must be at least ${MIN_PASSWORD_CHARACTERS} characters long`,
      },
    }),
    ValidateBy({
      name: 'passwordMaxBytes',
      validator: {
        validate: (value: unknown) => {
          const password = asString(value);
          return password === undefined || passwordByteLength(password) <= MAX_PASSWORD_BYTES;
        },
        defaultMessage: () =>
          `must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores anything longer, so it is refused rather than silently cut); use a shorter passphrase`,
      },
    }),
    NoNulCharacter(),
    ValidateBy({
      name: 'passwordNotCommon',
      validator: {
        validate: (value: unknown) => {
          const password = asString(value);
          return password === undefined || !isCommonPassword(password);
        },
        defaultMessage: () =>
          'is one of the most common passwords, which attackers try first; choose another',
      },
    }),
  ];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
