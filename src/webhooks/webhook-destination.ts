import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook must not go unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS (issue #22): private,
 * loopback, link-local (cloud metadata at 169.254.169.254), shared, multicast and reserved
 * ranges, and IPv6 forms that can reach them (mapped and compatible IPv4, NAT64, 6to4, Teredo).
 */
const NOT_PUBLIC_V4 = new BlockList();
/** Apart: a BlockList matches IPv4 addresses against IPv6 ranges through their mapped form. */
const NOT_PUBLIC_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  NOT_PUBLIC_V4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // Unspecified, loopback and IPv4-compatible (::a.b.c.d, deprecated but still routed by some).
  ['::', 96],
  ['::ffff:0:0', 96],
  // NAT64, well-known and local-use (RFC 6052, RFC 8215): they reach IPv4 addresses.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  // Teredo and 6to4 embed an IPv4 address a relay may reach (RFC 4380, RFC 3056).
  ['2001::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local, deprecated (RFC 3879) but still private wherever it is used.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC_V6.addSubnet(network, prefix, 'ipv6');
}

/**
 * Refused even with WEBHOOKS_ALLOW_PRIVATE_NETWORKS: link-local (cloud metadata at
 * 169.254.169.254, fe80::/10), "this network" 0/8 and the unspecified address, which no
 * receiver inside the network needs and an attacker would aim at.
 */
const NEVER_V4 = new BlockList();
const NEVER_V6 = new BlockList();
NEVER_V4.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER_V4.addSubnet('169.254.0.0', 16, 'ipv4');
NEVER_V6.addAddress('::', 'ipv6');
NEVER_V6.addSubnet('fe80::', 10, 'ipv6');
// The same IPv4 ranges in their mapped form (::ffff:0.0.0.0/104, ::ffff:169.254.0.0/112).
NEVER_V6.addSubnet('::ffff:0:0', 104, 'ipv6');
NEVER_V6.addSubnet('::ffff:a9fe:0', 112, 'ipv6');

/** True for an address a webhook may not reach by default; anything unparsable counts. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return family === 4 ? NOT_PUBLIC_V4.check(address, 'ipv4') : NOT_PUBLIC_V6.check(address, 'ipv6');
}

/** True for an address a webhook may never reach, whatever the setting; unparsable counts. */
export function isNeverAllowedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return family === 4 ? NEVER_V4.check(address, 'ipv4') : NEVER_V6.check(address, 'ipv6');
}

/** The check WEBHOOKS_ALLOW_PRIVATE_NETWORKS selects: true means refused. */
export function refusesAddress(allowPrivateNetworks: boolean): (address: string) => boolean {
  return allowPrivateNetworks ? isNeverAllowedAddress : isNonPublicAddress;
}

/**
 * Thrown where a destination is refused. Its message names the host as the URL gave it,
 * never the address a name resolved to: that would map the internal network for whoever
 * can create endpoints (issue #22 review).
 */
export class DestinationRefusedError extends Error {
  constructor(readonly host: string) {
    super(`destination ${host} is or resolves to a private, loopback or link-local address`);
    this.name = 'DestinationRefusedError';
  }
}

/** The host of a URL as an address or a name, without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s).request that resolves the name, refuses it when any address is
 * refused by `refuses`, and hands the socket exactly the addresses it checked: a second
 * resolution (DNS rebinding) never happens. Literal addresses skip lookup: check those first.
 */
export function checkedLookup(refuses: (address: string) => boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      if (addresses.length === 0 || addresses.some(({ address }) => refuses(address))) {
        return callback(new DestinationRefusedError(hostname), []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first!.address, first!.family);
    });
  };
}

/**
 * Resolves `url`'s host as delivery would, for the check at creation: rejects if refused.
 * With `allowPrivateNetworks` only the never-allowed addresses are refused.
 */
export async function assertAllowedDestination(
  url: URL,
  allowPrivateNetworks = false,
): Promise<void> {
  const refuses = refusesAddress(allowPrivateNetworks);
  const host = hostOf(url);
  if (isIP(host)) {
    if (refuses(host)) throw new DestinationRefusedError(host);
    return;
  }
  await new Promise<void>((resolve, reject) =>
    checkedLookup(refuses)(host, { all: true }, (error) => (error ? reject(error) : resolve())),
  );
}
