import { describe, expect, it } from 'vitest';
import { RequestValidationError } from '../common/problem.exception.js';
import {
  assertPasswordPolicy,
  foldForComparison,
  isCommonPassword,
  passwordRuleBroken,
  personalDataInPassword,
} from './password-policy.js';

const owner = { username: 'alice_w', email: 'Alice.Wonder@example.com' };

describe('password policy', () => {
  it('folds case fully and applies NFKC before comparing', () => {
    expect(foldForComparison('Straße')).toBe('strasse');
    expect(foldForComparison('Ｐａｓｓ')).toBe('pass');
  });

  it('knows the common passwords whatever their case or width, and not a passphrase', () => {
    expect(isCommonPassword('password')).toBe(true);
    expect(isCommonPassword('PassWord')).toBe(true);
    expect(isCommonPassword('ｑｗｅｒｔｙ１２３')).toBe(true);
    expect(isCommonPassword('trumpet lagoon vertical 7')).toBe(false);
  });

  it('finds the username or the email name inside the password, ignoring case', () => {
    expect(personalDataInPassword('xxALICE_Wxx', owner)).toBe('must not contain the username');
    expect(personalDataInPassword('i am alice.wonder', owner)).toBe(
      'must not contain the part of the email address before the @',
    );
    expect(personalDataInPassword('correct horse battery', owner)).toBeUndefined();
  });

  it('refuses a very short email name only when it is the whole password', () => {
    const short = { username: 'bob_the_builder', email: 'jo@example.com' };
    expect(personalDataInPassword('jolly good fellow', short)).toBeUndefined();
    expect(personalDataInPassword('JO', short)).toBeDefined();
  });

  it('throws a 422 naming the field it was given', () => {
    try {
      assertPasswordPolicy('alice_w2024!', owner, 'new_password');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as RequestValidationError).problem.errors).toEqual([
        { field: 'new_password', message: 'must not contain the username' },
      ]);
    }
  });

  it('reports the first rule a password breaks, in the order length, size, NUL, common', () => {
    expect(passwordRuleBroken('short')).toMatch(/at least 8 characters/);
    expect(passwordRuleBroken('é'.repeat(40))).toMatch(/at most 72 bytes/);
    expect(passwordRuleBroken('long enough\u0000pass')).toMatch(/NUL character/);
    expect(passwordRuleBroken('password1')).toMatch(/most common passwords/);
    expect(passwordRuleBroken('correct horse battery staple')).toBeUndefined();
  });
});
