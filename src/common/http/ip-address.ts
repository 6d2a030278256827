import { isIP, isIPv6 } from 'node:net';

/**
 * The eight 16-bit groups of an IPv6 address in any of its textual forms (RFC 4291 §2.2:
 * leading zeros, `::`, a trailing dotted IPv4, upper case, a `%zone`), or undefined.
 */
export function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const hexGroups = (part: string) =>
    part
      .split(':')
      .filter(Boolean)
      .flatMap((group) => {
        if (!group.includes('.')) return [parseInt(group, 16)];
        // An embedded IPv4 address (…:198.51.100.7) stands for the last two groups.
        const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
        return [(a << 8) | b, (c << 8) | d];
      });
  const headGroups = hexGroups(head);
  const tailGroups = tail === undefined ? [] : hexGroups(tail);
  const zeros = Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  return [...headGroups, ...zeros, ...tailGroups];
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let [bestStart, bestLength] = [-1, 1];
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const before = hex.slice(0, bestStart).join(':');
  const after = hex.slice(bestStart + bestLength).join(':');
  return `${before}::${after}`;
}

/**
 * One spelling per address, so that limits, sessions and security events see one client as
 * one string (issue 18 point 9): an IPv4-mapped IPv6 address (`::ffff:0:0/96`, RFC 4291
 * §2.5.5.2) in any form is the IPv4 address it carries; other IPv6 addresses take their
 * RFC 5952 form, without a zone (local to the host that saw it, and unbounded in length).
 * Anything that is not an IP address comes back undefined.
 */
export function canonicalIpAddress(address: string): string | undefined {
  if (isIP(address) === 4) return address;
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return formatIPv6(groups);
}
