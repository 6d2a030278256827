import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { SignupDto } from '../auth/dto/signup.dto.js';
import { isValidUsername, usernameFromHint, usernameWithSuffix } from './username-rules.js';

/** What signup itself says of a username: the rules a provider's name must pass too. */
const signupAccepts = (username: string) =>
  validateSync(
    plainToInstance(SignupDto, { username, email: 'a@example.com', password: 'long enough pw' }),
  ).every((error) => error.property !== 'username');

describe('usernameFromHint', () => {
  it.each([
    ['octocat', 'octocat'],
    ['Émile Zola', 'Emile_Zola'],
    ['Ann  Lee', 'Ann_Lee'],
    ['日本語', 'user'],
    ['ab', 'user'],
    ['...', 'user'],
    [null, 'user'],
    ['a'.repeat(60), 'a'.repeat(27)],
    ['bob@example.com', 'bobexample.com'],
  ])('turns %j into %j, a name signup accepts', (hint, expected) => {
    const name = usernameFromHint(hint);
    expect(name).toBe(expected);
    expect(signupAccepts(name)).toBe(true);
  });

  it('leaves room for a suffix that keeps the name valid', () => {
    const suffixed = usernameWithSuffix(usernameFromHint('z'.repeat(80)));
    expect(suffixed).toMatch(/^z{27}_[0-9a-f]{4}$/);
    expect(isValidUsername(suffixed) && signupAccepts(suffixed)).toBe(true);
  });
});
