import { IsString, IsUrl, MinLength } from 'class-validator';
import { isLocalHost } from '../common/http/local-host.js';
import { defineFeatureConfig, OptionalText } from '../config/feature-config.js';

export class MailVariables {
  /** `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://...:465`. Unset: outbox. */
  @OptionalText()
  SMTP_URL?: string;

  @IsString()
  @MinLength(3)
  MAIL_FROM = 'Whazz Audio <no-reply@whazz.audio>';

  /** Where the links in mail point: the app that shows the verify and reset pages. */
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  APP_PUBLIC_URL = 'http://localhost:8000';

  /** Without SMTP_URL, mail is written here as text files a developer can open. */
  @IsString()
  @MinLength(1)
  MAIL_OUTBOX_DIR = '.data/outbox';
}

/**
 * Production refuses to run with mail written to disk (reset links in files on the server)
 * or with links that point at the user's own machine (issue #18 point 11), as it refuses a
 * weak secret.
 */
function productionProblems(env: MailVariables): string[] {
  const problems: string[] = [];
  if (env.SMTP_URL === undefined) {
    problems.push(
      'SMTP_URL: must be set when NODE_ENV=production (without it mail, reset links included, is written to files)',
    );
  }
  if (URL.canParse(env.APP_PUBLIC_URL) && isLocalHost(new URL(env.APP_PUBLIC_URL).hostname)) {
    problems.push(
      'APP_PUBLIC_URL: must not point at localhost when NODE_ENV=production (the links in mail would lead nowhere)',
    );
  }
  return problems;
}

/** Outgoing mail. */
export const mailConfig = defineFeatureConfig({
  namespace: 'mail',
  title: 'Mail',
  variables: MailVariables,
  secrets: ['SMTP_URL'],
  settings: (env, { environment, problems }) => {
    if (environment === 'production') problems.push(...productionProblems(env));
    return {
      /** Undefined: mail goes to `outboxDirectory` (development). */
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      /** Base of the links in mail, without a trailing slash. */
      publicUrl: env.APP_PUBLIC_URL.replace(/\/+$/, ''),
      outboxDirectory: env.MAIL_OUTBOX_DIR,
    };
  },
});

export type MailConfig = ReturnType<typeof mailConfig.settings>;
