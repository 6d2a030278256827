/**
 * The rows of Unicode TR39's confusables.txt whose source is in the username alphabet
 * `[A-Za-z0-9_.-]` are `0 → O`, `1 → l`, `I → l` and `m → rn`; nothing else in it maps.
 * Here they apply to the lower-cased name, so `0 → o`, and `I → l` becomes `i → l`: which is
 * also the `I`/`l`/`1` fold issue 18 point 10 asks for (`biII` is `bill`, `adm1n` is `admin`).
 * A wider alphabet would need the whole table (NFD, map, NFD), not these four rows.
 */
const CONFUSABLE: Record<string, string> = { '0': 'o', '1': 'l', i: 'l', m: 'rn' };

/**
 * What a username looks like, ignoring case: two names with one skeleton are too alike to
 * belong to two accounts (a unique index holds the rule). Up to twice the name's length.
 */
export function usernameSkeleton(username: string): string {
  return username
    .trim()
    .toLowerCase()
    .replace(/[01im]/g, (char) => CONFUSABLE[char]!);
}
