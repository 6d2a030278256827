import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

const ALPHABET = /^[A-Za-z0-9_.-]{3,32}$/;

/**
 * A username as accounts take it, at signup and when an administrator changes it (issue #19):
 * 3 to 32 of `A-Z a-z 0-9 _ . -`, at least one a letter or digit.
 */
export function AccountUsername({ optional = false } = {}): PropertyDecorator {
  const decorators = [
    // Written out: the Swagger plugin sees only the decorators a DTO names itself.
    ApiProperty({ type: String, pattern: ALPHABET.source, required: !optional }),
    // The top rule is the one the OpenAPI document shows as the pattern: the alphabet.
    Matches(ALPHABET, {
      message: 'must be 3 to 32 characters of A-Z, a-z, 0-9, _ . -',
    }),
    // Punctuation alone (`...`, `_-_`) names no one and looks like every other such name.
    Matches(/[A-Za-z0-9]/, { message: 'must contain a letter or a digit' }),
    IsString(),
  ];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
