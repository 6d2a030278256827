import { ValidateBy } from 'class-validator';

/**
 * PostgreSQL cannot store U+0000 in text and answers such a parameter with an error; and
 * bcrypt implementations disagree on it. Refused up front with a clear message.
 */
export function NoNulCharacter(): PropertyDecorator {
  return ValidateBy({
    name: 'noNulCharacter',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: () => 'must not contain the NUL character',
    },
  });
}
