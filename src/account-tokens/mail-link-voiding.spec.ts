import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SESSION_REVOCATION_REASONS } from '../sessions/entities/session.entity.js';
import type { AccountTokenPurpose } from './entities/account-token.entity.js';
import { MAIL_LINKS_VOIDED_BY, voidsMailLinks } from './mail-link-voiding.js';

const SECTION = 'Pending mail links';

/** How docs/security.md names each kind of link. */
const LINK_NAMES: Record<AccountTokenPurpose, string> = {
  verify_email: 'verification',
  reset_password: 'password reset',
  change_email: 'email change',
};

/** The rows of the section's table: first cell → second cell, the header row left out. */
function documentedRows(): Map<string, string> {
  const text = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
  const rows = new Map<string, string>();
  let inSection = false;
  for (const line of text.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) inSection = heading[1]!.trim() === SECTION;
    const row = inSection ? /^\| *(.+?) *\| *(.+?) *\|$/.exec(line) : null;
    if (row && !/^-+$/.test(row[1]!) && row[1] !== 'Action') rows.set(row[1]!, row[2]!);
  }
  return rows;
}

describe('MAIL_LINKS_VOIDED_BY', () => {
  it('is the table docs/security.md shows', () => {
    const listed = Object.values(MAIL_LINKS_VOIDED_BY).map(({ by, voids }) => [
      by,
      voids.map((purpose) => LINK_NAMES[purpose]).join(', '),
    ]);
    expect(Object.fromEntries(documentedRows())).toEqual(Object.fromEntries(listed));
  });

  it('names session revocations by their reasons, so SessionsService applies them', () => {
    const revocations = Object.keys(MAIL_LINKS_VOIDED_BY).filter((action) =>
      (SESSION_REVOCATION_REASONS as readonly string[]).includes(action),
    );
    expect(revocations.sort()).toEqual(
      [
        'logout_all',
        'password_changed',
        'password_reset',
        'revoked_by_user',
        'revoked_by_administrator',
        'account_disabled',
      ].sort(),
    );
  });

  it('leaves logout of one session, theft detection and deletion out', () => {
    for (const reason of ['logout', 'refresh_token_reuse', 'account_deleted']) {
      expect(voidsMailLinks(reason), reason).toBe(false);
    }
  });
});
