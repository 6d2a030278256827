import { canonicalIpAddress, ipv6Groups } from './ip-address.js';

/**
 * What a per-address limit counts (a rate limit, the connections one client holds open): an
 * IPv4 address as it is, an IPv6 address by its /64, since one host is usually given a whole
 * /64 and could otherwise take a new address per request. An IPv4-mapped IPv6 address,
 * however written, counts as the IPv4 address.
 */
export function addressBucket(address: string): string {
  const canonical = canonicalIpAddress(address);
  // An IPv4 address (mapped ones included, once canonical) has no colon: no IPv6 parse for it,
  // which every request of an IPv4 client would otherwise pay (its regular expression).
  if (canonical === undefined || !canonical.includes(':')) return canonical ?? address;
  const groups = ipv6Groups(canonical);
  if (!groups) return canonical;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
