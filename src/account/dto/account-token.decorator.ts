import { Matches } from 'class-validator';

/** The token from a link in a mail: 43 URL-safe characters; a little slack for future lengths. */
export function AccountTokenField(): PropertyDecorator {
  return Matches(/^[A-Za-z0-9_-]{20,128}$/, {
    message: 'must be the token from the link in the mail',
  });
}
