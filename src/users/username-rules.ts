import { randomBytes } from 'node:crypto';

/** 3 to 32 of `A-Z a-z 0-9 _ . -`: what signup accepts (SignupDto, AccountUsername). */
export const USERNAME_ALPHABET = /^[A-Za-z0-9_.-]{3,32}$/;
/** Punctuation alone (`...`, `_-_`) names no one and looks like every other such name. */
export const USERNAME_LETTER_OR_DIGIT = /[A-Za-z0-9]/;

export const isValidUsername = (name: string): boolean =>
  USERNAME_ALPHABET.test(name) && USERNAME_LETTER_OR_DIGIT.test(name);

const SUFFIX_LENGTH = 5;

/**
 * A username taken from a provider's login or display name (issue #21): accents dropped,
 * spaces to `_`, anything else outside the alphabet removed, cut to leave room for a suffix.
 * Falls back to `user` when nothing usable is left.
 */
export function usernameFromHint(hint: string | null | undefined): string {
  const base = (hint ?? '')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\s+/g, '_')
    .replace(/[^A-Za-z0-9_.-]/g, '')
    .slice(0, 32 - SUFFIX_LENGTH);
  return isValidUsername(base) ? base : 'user';
}

/** `base` with a short random suffix, for when `base` (or one like it) is taken. */
export function usernameWithSuffix(base: string): string {
  return `${base}_${randomBytes(2).toString('hex')}`;
}
