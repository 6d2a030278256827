import type { MailMessage } from '../mail/mail.service.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);

/**
 * A value put inside a sentence: the addresses it carries are validated, but should one ever
 * hold a line break or an invisible character, it shows as U+FFFD instead of starting a
 * paragraph of someone else's words in our mail (issue 18 point 5).
 */
const inline = (value: string) => value.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '\ufffd');

interface Action {
  label: string;
  url: string;
}

const NOT_YOU =
  'If this was not you, change your password now and contact support: someone may know it.';

/** One plain-text and one HTML body from the same paragraphs, so the two never disagree (also for the mails of social login). */
export function compose(
  to: string,
  subject: string,
  paragraphs: string[],
  action?: Action,
): MailMessage {
  const textParts = action
    ? [paragraphs[0]!, `${action.label}: ${action.url}`, ...paragraphs.slice(1)]
    : paragraphs;
  const htmlParts = paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`);
  if (action) {
    htmlParts.splice(
      1,
      0,
      `<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`,
    );
  }
  return {
    to,
    subject,
    text: `${textParts.join('\n\n')}\n\n-- Whazz Audio\n`,
    html: `<!doctype html><html><body>${htmlParts.join('')}<p>Whazz Audio</p></body></html>`,
  };
}

/** Every mail the account flows send. Notices carry no link and no secret. */
export const accountMails = {
  verifyEmail: (to: string, url: string, hours: number) =>
    compose(
      to,
      'Confirm your email address',
      [
        'Welcome to Whazz Audio. Confirm that this is your email address:',
        `The link works once, for ${hours} hours. If you did not sign up, ignore this mail.`,
      ],
      { label: 'Confirm my email address', url },
    ),

  confirmNewEmail: (to: string, url: string, hours: number) =>
    compose(
      to,
      'Confirm your new email address',
      [
        'You asked to use this address for your Whazz Audio account. Confirm it:',
        `The link works once, for ${hours} hours. Until then the account keeps its old address.`,
      ],
      { label: 'Use this email address', url },
    ),

  emailChangeRequested: (to: string, newEmail: string) =>
    compose(to, 'A change of email address was requested', [
      `Someone signed in to your Whazz Audio account asked to change its email address to ${inline(newEmail)}. It changes only when the link sent there is followed.`,
      NOT_YOU,
    ]),

  emailChanged: (to: string, newEmail: string) =>
    compose(to, 'Your email address was changed', [
      `The email address of your Whazz Audio account is now ${inline(newEmail)}; this address no longer belongs to it.`,
      NOT_YOU,
    ]),

  passwordReset: (to: string, url: string, minutes: number) =>
    compose(
      to,
      'Reset your password',
      [
        'Someone asked to reset the password of your Whazz Audio account. Choose a new one:',
        `The link works once, for ${minutes} minutes, and signs out every device. If you did not ask, ignore this mail: your password stays as it is.`,
      ],
      { label: 'Choose a new password', url },
    ),

  // An account an administrator opened (issue #19): the reset path, worded for a first password.
  setPassword: (to: string, url: string, minutes: number) =>
    compose(
      to,
      'Choose a password for your new account',
      [
        'An administrator opened a Whazz Audio account for this address. Choose its password:',
        `The link works once, for ${minutes} minutes. Afterwards, "Forgot password" sends a new one.`,
      ],
      { label: 'Choose my password', url },
    ),

  passwordChanged: (to: string) =>
    compose(to, 'Your password was changed', [
      'The password of your Whazz Audio account was changed, and your other devices were signed out.',
      NOT_YOU,
    ]),

  accountDeleted: (to: string) =>
    compose(to, 'Your account was deleted', [
      'Your Whazz Audio account and everything stored with it were deleted, as you asked.',
      'If this was not you, contact support at once.',
    ]),
};
