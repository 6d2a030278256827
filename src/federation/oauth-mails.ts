import { compose } from '../mail/mail-composition.js';

/** The provider's configured name, which the mail shows: the letters an operator chose. */
const shown = (provider: string) => provider.replace(/[^a-z0-9]/g, '');

/** Notices carry no link and no secret. */
export const oauthMails = {
  providerLinked: (to: string, provider: string) =>
    compose(to, `${shown(provider)} can now sign in to your account`, [
      `Signing in with ${shown(provider)} was added to your Whazz Audio account.`,
      'If this was not you, remove it under your account’s sign-in methods, change your password and contact support: someone may be signed in as you.',
    ]),
};
