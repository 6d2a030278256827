import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, ValidateBy } from 'class-validator';
import { emailAddressProblem, normalizeEmail } from '../../users/email-address.js';

const normalized = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? normalizeEmail(value) : value;

/** No quoted local part, control or invisible character; the domain a valid IDN. */
const IsAccountAddress = () =>
  ValidateBy({
    name: 'isAccountAddress',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !emailAddressProblem(value),
      defaultMessage: (args) =>
        typeof args?.value === 'string' ? (emailAddressProblem(args.value) ?? '') : '',
    },
  });

/**
 * An email address as accounts store it: trimmed, local part lower-cased, domain in punycode
 * (see `normalizeEmail`), free of quotes and invisible characters, at most 254 characters.
 */
export function AccountEmail(): PropertyDecorator {
  // Checked in this order, the first failure reported: type, then length, then characters,
  // then format. The length is the stored form's, so a long IDN cannot overflow the column.
  const decorators = [
    IsString(),
    MaxLength(254, { message: 'must be at most 254 characters' }),
    IsAccountAddress(),
    IsEmail({}, { message: 'must be a valid email address' }),
    Transform(normalized),
  ];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
