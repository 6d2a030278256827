/**
 * The session revocations that also forget the user's known devices (issue #20): the one
 * list. SessionsService applies it in the revoking transaction, as it does the mail-link
 * list. Each is the owner (or an administrator for them) saying "someone else may have been
 * in": a device token left behind would keep sparing that someone the login backoff, and
 * later the second factor. The device of the session that changed the password stays known.
 */
export const DEVICES_FORGOTTEN_BY = [
  'logout_all',
  'password_changed',
  'password_reset',
  'account_deleted',
  'revoked_by_administrator',
  'account_disabled',
] as const;

export const forgetsDevices = (reason: string): boolean =>
  (DEVICES_FORGOTTEN_BY as readonly string[]).includes(reason);
