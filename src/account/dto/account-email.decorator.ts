import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';

const trimmedLowerCase = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

/** An email address as accounts store it: trimmed, lower-cased, valid, at most 254 characters. */
export function AccountEmail(): PropertyDecorator {
  // Checked in this order, the first failure reported: type, then length, then format.
  const decorators = [
    IsString(),
    MaxLength(254, { message: 'must be at most 254 characters' }),
    IsEmail({}, { message: 'must be a valid email address' }),
    Transform(trimmedLowerCase),
  ];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
