import { IsNotEmpty, IsString, Matches, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import { NoNulCharacter } from '../../common/validation/no-nul-character.decorator.js';

interface ProofFields {
  code?: unknown;
  recovery_code?: unknown;
}

/** Required unless `recovery_code` is given; 6 digits. */
export function TotpCodeField(): PropertyDecorator {
  const decorators = [
    ValidateIf((dto: ProofFields) => dto.recovery_code === undefined),
    IsString(),
    Matches(/^\d{6}$/, { message: 'must be the 6 digits your authenticator app shows' }),
  ];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** Required unless `code` is given, and never with it: one proof, one check. */
export function RecoveryCodeField(): PropertyDecorator {
  const decorators = [
    ValidateIf((dto: ProofFields) => dto.code === undefined || dto.recovery_code !== undefined),
    ValidateBy({
      name: 'notWithCode',
      validator: {
        validate: (_: unknown, args) => (args?.object as ProofFields).code === undefined,
        defaultMessage: () => 'give either code or recovery_code, not both',
      },
    }),
    IsString(),
    IsNotEmpty(),
    MaxLength(64),
    NoNulCharacter(),
  ];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}
