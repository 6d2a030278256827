import { dictionary } from '@zxcvbn-ts/language-common';
import { RequestValidationError } from '../common/problem.exception.js';

// Every rule a password must meet before it is stored, in one place: those that need only the
// password (checked with the request body by @IsNewPassword()) and those that need its owner.

/** bcrypt reads 72 bytes and silently ignores the rest; we refuse longer rather than truncate. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_CHARACTERS = 8;

/**
 * NFKC, so that the same password typed on different keyboards (full-width forms, composed
 * or decomposed accents) hashes the same. Applied before hashing and before every compare.
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

export function passwordByteLength(password: string): number {
  return Buffer.byteLength(normalisePassword(password), 'utf8');
}

/**
 * Characters as typed and after NFKC, whichever is fewer: one typed ligature that expands
 * to many characters does not make a long password, and neither do combining marks.
 */
export function passwordCharacterCount(password: string): number {
  return Math.min([...password].length, [...normalisePassword(password)].length);
}

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

/**
 * The first rule that needs only the password and that it breaks, in the order they are
 * reported; undefined when it meets them all. NIST SP 800-63B §5.1.1.2: length and known-bad
 * passwords, no composition rules.
 */
export function passwordRuleBroken(password: string): string | undefined {
  if (passwordCharacterCount(password) < MIN_PASSWORD_CHARACTERS) {
    return `must be at least ${MIN_PASSWORD_CHARACTERS} characters long`;
  }
  if (passwordByteLength(password) > MAX_PASSWORD_BYTES) {
    return `must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores anything longer, so it is refused rather than silently cut); use a shorter passphrase`;
  }
  // PostgreSQL cannot store U+0000, and bcrypt implementations disagree on it.
  if (password.includes('\u0000')) return 'must not contain the NUL character';
  if (isCommonPassword(password)) {
    return 'is one of the most common passwords, which attackers try first; choose another';
  }
  return undefined;
}
