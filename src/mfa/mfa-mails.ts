import { compose, NOT_YOU } from '../mail/mail-composition.js';

/** Notices of second-factor changes (issue #20): no link, no code, no secret. */
export const mfaMails = {
  enabled: (to: string) =>
    compose(to, 'Two-step verification is on', [
      'Signing in to your Whazz Audio account now needs a code from your authenticator app as well as your password.',
      'Keep your recovery codes somewhere safe: each works once if you lose the app.',
      NOT_YOU,
    ]),

  disabled: (to: string) =>
    compose(to, 'Two-step verification is off', [
      'Two-step verification was turned off for your Whazz Audio account, and your other devices were signed out. Your password alone now signs in.',
      NOT_YOU,
    ]),

  resetByAdministrator: (to: string) =>
    compose(to, 'Two-step verification was reset', [
      'An administrator removed two-step verification from your Whazz Audio account, with its recovery codes, and signed out every device. Your password alone now signs in; set up your authenticator app again from your account.',
      NOT_YOU,
    ]),

  recoveryCodeUsed: (to: string, remaining: number) =>
    compose(to, 'A recovery code was used', [
      `One of the recovery codes of your Whazz Audio account was just used to sign in or confirm a change; ${remaining} remain unused.`,
      'If you have lost your authenticator app, set it up again and make new recovery codes.',
      NOT_YOU,
    ]),
};
