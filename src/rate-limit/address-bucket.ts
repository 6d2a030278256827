import { isIPv6 } from 'node:net';

/** The first four groups of an IPv6 address, written out (`2001:db8::1` → `2001:db8:0:0`). */
function firstFourGroups(address: string): string {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // An embedded IPv4 address (…:1.2.3.4) stands for two groups.
  const tailSize = tailGroups.length + (tailGroups.at(-1)?.includes('.') ? 1 : 0);
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailSize).fill('0');
  return [...headGroups, ...zeros, ...tailGroups]
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':');
}

/**
 * What a per-address limit counts: an IPv4 address as it is, an IPv6 address by its /64,
 * since one host is usually given a whole /64 and could otherwise take a new address per
 * request. An IPv4-mapped IPv6 address counts as the IPv4 address.
 */
export function addressBucket(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  return `${firstFourGroups(address)}::/64`;
}
