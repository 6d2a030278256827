import { normalizeEmail } from './email-address.js';

/**
 * Emails are stored this way and usernames are unique this way: lookups, login backoff and
 * per-account rate limits all fold a login name with this one rule. A name with an `@` is an
 * email (usernames cannot hold one), so its domain is folded to punycode as stored.
 */
export const loginLookupKey = (value: string): string => {
  const key = value.trim();
  return key.includes('@') ? normalizeEmail(key) : key.toLowerCase();
};
