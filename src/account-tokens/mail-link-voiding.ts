import type { AccountTokenPurpose } from './entities/account-token.entity.js';

interface Voiding {
  /** The action as docs/security.md names it. */
  by: string;
  /** The purposes of the user's unused links it voids. */
  voids: readonly AccountTokenPurpose[];
}

/**
 * Which pending mail links each action voids: the one list (issue #18 point 7). Whoever makes
 * the action applies it through AccountTokensService.voidFor; the keys that are session
 * revocation reasons are applied by SessionsService in the revoking transaction. The table in
 * docs/security.md is checked against it (mail-link-voiding.spec.ts).
 */
export const MAIL_LINKS_VOIDED_BY = {
  // A new password: older reset links must not override it, and an email change started by
  // whoever had the old one would hand them the account.
  password_reset: { by: '`POST /auth/reset-password`', voids: ['reset_password', 'change_email'] },
  password_changed: {
    by: '`POST /auth/change-password`',
    voids: ['reset_password', 'change_email'],
  },
  // Links mailed to the old address must not act on the account any more.
  email_changed: {
    by: 'Following a new-address link',
    voids: ['verify_email', 'reset_password', 'change_email'],
  },
  // The owner signing others out is alarmed: whoever they signed out may have started an
  // email change with the password, and its link would still take the account.
  logout_all: { by: '`POST /auth/logout-all`', voids: ['change_email'] },
  revoked_by_user: { by: '`DELETE /auth/sessions/{id}`', voids: ['change_email'] },
  // An administrator ending the sessions acts for an alarmed owner, as logout-all does; a
  // disabled account must not come back with links mailed before (issue #19).
  revoked_by_administrator: {
    by: '`POST /admin/users/{id}/sessions/revoke-all`',
    voids: ['change_email'],
  },
  account_disabled: {
    by: '`POST /admin/users/{id}/disable`',
    voids: ['reset_password', 'change_email'],
  },
} as const satisfies Record<string, Voiding>;

export type MailLinkVoidingAction = keyof typeof MAIL_LINKS_VOIDED_BY;

export const voidsMailLinks = (action: string): action is MailLinkVoidingAction =>
  Object.hasOwn(MAIL_LINKS_VOIDED_BY, action);
