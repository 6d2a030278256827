import type { SigningKey } from './entities/signing-key.entity.js';
import { signingKeyAt } from './signing-key-schedule.js';

export type SigningKeyState = 'pending' | 'signing' | 'superseded' | 'retired';

/** A key as the admin API and `npm run keys` show it: never its private part. */
export interface SigningKeyView {
  kid: string;
  algorithm: string;
  state: SigningKeyState;
  publishedAt: Date;
  activeFrom: Date;
  retiredAt: Date | null;
}

/** `key`'s state at `now`, among `rows` (which must include the keys not retired). */
export function viewOf(key: SigningKey, rows: readonly SigningKey[], now: number): SigningKeyView {
  const live = rows.filter((row) => row.retiredAt === null);
  const state: SigningKeyState =
    key.retiredAt !== null
      ? 'retired'
      : key.activeFrom.getTime() > now
        ? 'pending'
        : signingKeyAt(live, now)?.kid === key.kid
          ? 'signing'
          : 'superseded';
  const { kid, algorithm, publishedAt, activeFrom, retiredAt } = key;
  return { kid, algorithm, state, publishedAt, activeFrom, retiredAt };
}
