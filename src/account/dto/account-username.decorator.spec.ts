import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { SignupDto } from '../../auth/dto/signup.dto.js';
import { AccountUsername } from './account-username.decorator.js';

class Named {
  @AccountUsername()
  username: unknown;
}

const problemsOf = (target: object) =>
  validateSync(target).flatMap((error) =>
    error.property === 'username' ? Object.values(error.constraints ?? {}) : [],
  );

describe('AccountUsername', () => {
  it.each([
    'alice',
    'Bob_99',
    'a.b-c',
    'ab',
    'x'.repeat(33),
    '...',
    '_-_',
    'has space',
    'émile',
    'admin@x',
    '',
    42,
    null,
  ])('judges %j exactly as signup does', (username) => {
    const signup = plainToInstance(SignupDto, {
      email: 'a@example.com',
      password: 'long enough passphrase',
      username,
    });
    const named = plainToInstance(Named, { username });
    expect(problemsOf(named)).toEqual(problemsOf(signup));
  });
});
