import { compose, inline, NOT_YOU } from '../mail/mail-composition.js';

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
