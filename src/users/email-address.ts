import { domainToASCII } from 'node:url';

/**
 * Never part of an address an account may hold (issue 18 point 5): a quote (quoted local
 * parts are how CR/LF got into mail headers), control characters, line and paragraph
 * separators, spaces of any kind, format and default-ignorable characters that show as
 * nothing (zero-width, bidi overrides, soft hyphen, Hangul fillers, variation selectors),
 * the blank Braille pattern, and surrogate, private-use and unassigned code points.
 */
const FORBIDDEN = /["\p{Cc}\p{Cf}\p{Z}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2800]/u;

/**
 * An address as accounts store, compare and look it up: spaces around trimmed, the local part
 * lower-cased in NFC, the domain in its ASCII (punycode) form by UTS #46, which SMTP needs
 * without SMTPUTF8: `Alice@Bücher.Example` → `alice@xn--bcher-kva.example`, one mailbox one
 * string. A domain holding a forbidden character or no valid IDN is only lower-cased, for
 * `emailAddressProblem()` to refuse (UTS #46 would silently drop a zero-width space).
 */
export function normalizeEmail(value: string): string {
  const trimmed = value.replace(/^ +| +$/g, '');
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed.toLowerCase();
  const local = trimmed.slice(0, at).toLowerCase().normalize('NFC');
  const domain = trimmed.slice(at + 1);
  const ascii = FORBIDDEN.test(domain) ? '' : domainToASCII(domain);
  return `${local}@${ascii || domain.toLowerCase()}`;
}

/** Why a normalised address cannot belong to an account, or undefined if it can. */
export function emailAddressProblem(email: string): string | undefined {
  if (FORBIDDEN.test(email)) {
    return 'must not contain quotes, spaces, control or invisible characters';
  }
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (domainToASCII(domain) !== domain) return 'must be a valid email address';
  return undefined;
}
