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
