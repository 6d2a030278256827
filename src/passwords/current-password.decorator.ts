import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NoNulCharacter } from '../common/validation/no-nul-character.decorator.js';

/** A password being checked, not chosen: no rules beyond a sane size. */
export function CurrentPassword(): PropertyDecorator {
  // Checked in this order, the first failure reported.
  const decorators = [IsString(), IsNotEmpty(), MaxLength(1024), NoNulCharacter()];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
