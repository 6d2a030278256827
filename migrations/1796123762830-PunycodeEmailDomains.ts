import { domainToASCII } from 'node:url';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Addresses are now stored with their domain in punycode and their local part in NFC (issue
 * 18 point 5), and every lookup folds to that form, so rows stored in another form would be
 * found by no login, reset or uniqueness check: they are rewritten here, with the address
 * that pending mailed links carry. A user row whose new form another account already holds
 * is left as it is: two accounts exist, and which one the mailbox belongs to is not a
 * migration's call (docs/security.md says how to find them).
 *
 * Written out, not imported from src/: a migration keeps meaning what it meant when it ran.
 * Down keeps the rows: the form each address had is not recorded, and the release before
 * reads punycode addresses like any other.
 */
export class PunycodeEmailDomains1796123762830 implements MigrationInterface {
  name = 'PunycodeEmailDomains1796123762830';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['users', 'account_tokens']) {
      const rows = (await queryRunner.query(
        `SELECT DISTINCT "email" FROM "${table}" WHERE "email" ~ '[^[:ascii:]]'`,
      )) as { email: string }[];
      for (const { email } of rows) {
        const folded = storedForm(email);
        if (folded === email) continue;
        await queryRunner.query(
          table === 'users'
            ? `UPDATE "users" SET "email" = $1 WHERE "email" = $2 AND NOT EXISTS (SELECT 1 FROM "users" WHERE "email" = $1)`
            : `UPDATE "account_tokens" SET "email" = $1 WHERE "email" = $2`,
          [folded, email],
        );
      }
    }
  }

  public async down(): Promise<void> {
    // Nothing to undo: see above.
  }
}

function storedForm(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = domainToASCII(email.slice(at + 1));
  if (at < 0 || !domain) return email;
  return `${email.slice(0, at).normalize('NFC')}@${domain}`;
}
