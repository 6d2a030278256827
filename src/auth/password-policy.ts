import { dictionary } from '@zxcvbn-ts/language-common';
import { RequestValidationError } from '../common/problem.exception.js';

/** NFKC, then case folding: upper then lower folds `ß` to `ss` as Unicode full folding does. */
export function foldForComparison(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase();
}

/**
 * The 49,233 most common passwords of the xato.net corpus, as zxcvbn-ts ships them (MIT),
 * folded once at start-up (about 20 ms). NIST SP 800-63B §5.1.1.2: refuse known-bad
 * passwords, impose no composition rules.
 */
const COMMON_PASSWORDS = new Set(dictionary['passwords-common'].map(foldForComparison));

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(foldForComparison(password));
}

// A shorter name ("jo@...") is inside too many good passwords to refuse them all.
const MIN_CONTAINED_LENGTH = 3;

export interface PasswordOwner {
  username: string;
  email: string;
}

/** The rule a password breaks by holding its owner's name, if it does. */
export function personalDataInPassword(password: string, owner: PasswordOwner): string | undefined {
  const folded = foldForComparison(password);
  const contains = (part: string) => {
    const name = foldForComparison(part);
    return name.length >= MIN_CONTAINED_LENGTH ? folded.includes(name) : folded === name;
  };
  if (contains(owner.username)) return 'must not contain the username';
  if (contains(owner.email.split('@')[0] ?? '')) {
    return 'must not contain the part of the email address before the @';
  }
  return undefined;
}

/**
 * The rules that need the account (length and common-password rules are checked with the
 * request body). Signup now; password reset and change (issue #4) call it too.
 */
export function assertPasswordPolicy(
  password: string,
  owner: PasswordOwner,
  field = 'password',
): void {
  const broken = personalDataInPassword(password, owner);
  if (broken) throw new RequestValidationError([{ field, message: broken }]);
}
