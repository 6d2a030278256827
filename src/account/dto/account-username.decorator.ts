import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import {
  USERNAME_ALPHABET as ALPHABET,
  USERNAME_LETTER_OR_DIGIT,
} from '../../users/username-rules.js';

/**
 * A username as signup takes it, for the DTOs that set one besides SignupDto (issue #19): 3 to
 * 32 of `A-Z a-z 0-9 _ . -`, at least one a letter or digit. SignupDto writes the same rules
 * out on its property, where the Swagger plugin sees them and keeps its field order;
 * account-username.decorator.spec.ts keeps the two equal.
 */
export function AccountUsername({ optional = false } = {}): PropertyDecorator {
  // Applied in the order SignupDto's decorators run (bottom up): where two rules fail, the
  // same message is reported.
  const decorators = [
    IsString(),
    // Punctuation alone (`...`, `_-_`) names no one and looks like every other such name.
    Matches(USERNAME_LETTER_OR_DIGIT, { message: 'must contain a letter or a digit' }),
    Matches(ALPHABET, { message: 'must be 3 to 32 characters of A-Z, a-z, 0-9, _ . -' }),
    // Written out: the Swagger plugin sees only the decorators a DTO names itself.
    ApiProperty({ type: String, pattern: ALPHABET.source, required: !optional }),
  ];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
