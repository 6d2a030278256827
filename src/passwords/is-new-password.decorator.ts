import { IsString, ValidateBy } from 'class-validator';
import { passwordRuleBroken } from './password-policy.js';

/** A password we are about to store: the rules of password-policy.ts that need only itself. */
export function IsNewPassword(): PropertyDecorator {
  const decorators = [
    IsString(),
    ValidateBy({
      name: 'newPassword',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !passwordRuleBroken(value),
        defaultMessage: (args) =>
          typeof args?.value === 'string' ? (passwordRuleBroken(args.value) ?? '') : '',
      },
    }),
  ];
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}
