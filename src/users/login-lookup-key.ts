/**
 * Emails are stored this way and usernames are unique this way: lookups, login backoff and
 * per-account rate limits all fold a login name with this one rule.
 */
export const loginLookupKey = (value: string): string => value.trim().toLowerCase();
