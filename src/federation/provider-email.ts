import { emailAddressProblem, normalizeEmail } from '../users/email-address.js';

/** The longest address an account (and the `email` columns) can hold. */
const MAX_EMAIL_LENGTH = 254;

/**
 * The provider's address as given, or null when no account could hold it: too long for the
 * columns (a 500 at the callback before, issue #21 review) or refused by the address rules.
 * Such an address is treated as absent: the provider gave none we can use.
 */
export function usableProviderEmail(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > MAX_EMAIL_LENGTH) return null;
  return accountAddress(value) === null ? null : value;
}

/** The provider's address as accounts store it, or null when no account could hold it. */
export function accountAddress(email: string | null): string | null {
  if (!email) return null;
  const normalized = normalizeEmail(email);
  if (
    normalized.length > MAX_EMAIL_LENGTH ||
    !normalized.includes('@') ||
    emailAddressProblem(normalized)
  ) {
    return null;
  }
  return normalized;
}

/**
 * Whether the provider's address may link to the account holding its normalised form without
 * the user signing in first: only when it is that form apart from ASCII letter case. Unicode
 * case folding and NFC would let another mailbox match: `\u212Aate@…` (the Kelvin sign) folds
 * to `kate@…`, an internationalised domain to its punycode (issue #21 review).
 */
export function mayLinkAutomatically(email: string, normalized: string): boolean {
  return email.replace(/^ +| +$/g, '').replace(/[A-Z]/g, (c) => c.toLowerCase()) === normalized;
}
