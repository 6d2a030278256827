import { CLOCK_SKEW_SECONDS } from '../access-token.js';

/** The times that decide a key's part (see SigningKey). */
export interface ScheduledKey {
  kid: string;
  algorithm: string;
  activeFrom: Date;
  retiredAt: Date | null;
}

const liveKeys = <K extends ScheduledKey>(keys: readonly K[]) =>
  keys.filter((key) => key.retiredAt === null);

/**
 * The key that signs at `now`: of the keys not retired whose `activeFrom` has come, the one
 * that came last (ties go to the greater kid). A function of the rows and the time only, so
 * instances that read the same rows sign with the same key.
 */
export function signingKeyAt<K extends ScheduledKey>(
  keys: readonly K[],
  now: number,
): K | undefined {
  let chosen: K | undefined;
  for (const key of liveKeys(keys)) {
    if (key.activeFrom.getTime() > now) continue;
    const later =
      !chosen ||
      key.activeFrom.getTime() > chosen.activeFrom.getTime() ||
      (key.activeFrom.getTime() === chosen.activeFrom.getTime() && key.kid > chosen.kid);
    if (later) chosen = key;
  }
  return chosen;
}

/** Published, not yet signing: a rotation under way. */
export function pendingKeys<K extends ScheduledKey>(keys: readonly K[], now: number): K[] {
  return liveKeys(keys).filter((key) => key.activeFrom.getTime() > now);
}

/**
 * Keys no live token can name any more. A key other than the signing one signed its last
 * token no later than the moment the signing key took over (a key retired meanwhile cannot
 * have handed signing back to it), so once a whole token lifetime (and the clock skew
 * instances allow each other) has passed since then, every token it signed has expired.
 */
export function keysDueForRetirement<K extends ScheduledKey>(
  keys: readonly K[],
  now: number,
  tokenTtlSeconds: number,
): K[] {
  const signing = signingKeyAt(keys, now);
  if (!signing) return [];
  const lastTokenExpired =
    signing.activeFrom.getTime() + (tokenTtlSeconds + CLOCK_SKEW_SECONDS) * 1000 <= now;
  if (!lastTokenExpired) return [];
  return liveKeys(keys).filter(
    (key) => key !== signing && key.activeFrom.getTime() <= signing.activeFrom.getTime(),
  );
}

/**
 * Whether a new key should be published now: none is pending, and the signing key is of
 * another algorithm than the configured one, or older than the rotation interval.
 */
export function rotationDue(
  keys: readonly ScheduledKey[],
  now: number,
  algorithm: string,
  rotationIntervalSeconds: number | null,
): boolean {
  const signing = signingKeyAt(keys, now);
  if (!signing || pendingKeys(keys, now).length > 0) return false;
  if (signing.algorithm !== algorithm) return true;
  return (
    rotationIntervalSeconds !== null &&
    signing.activeFrom.getTime() + rotationIntervalSeconds * 1000 <= now
  );
}
