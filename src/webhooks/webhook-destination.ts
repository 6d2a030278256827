import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook must not go unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS (issue #22): private,
 * loopback, link-local (cloud metadata at 169.254.169.254), shared, multicast and reserved
 * ranges, and IPv6 forms that can reach them (mapped IPv4, NAT64).
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
  ['::', 127],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC_V6.addSubnet(network, prefix, 'ipv6');
}

/** True for an address a webhook may not reach by default; anything unparsable counts. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return family === 4 ? NOT_PUBLIC_V4.check(address, 'ipv4') : NOT_PUBLIC_V6.check(address, 'ipv6');
}

/** Thrown where a destination is refused; its message names the address, never a secret. */
export class DestinationRefusedError extends Error {
  constructor(readonly address: string) {
    super(`destination ${address} is a private, loopback or link-local address`);
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
 * A `lookup` for http(s).request that resolves the name, refuses it when any address is not
 * public, and hands the socket exactly the addresses it checked: a second resolution (DNS
 * rebinding) never happens. Literal addresses skip lookup: check those with isNonPublicAddress.
 */
export function publicOnlyLookup(
  hostname: string,
  options: LookupOptions,
  callback: LookupCallback,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find(({ address }) => isNonPublicAddress(address));
    if (refused || addresses.length === 0) {
      return callback(new DestinationRefusedError(refused?.address ?? hostname), []);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    callback(null, first!.address, first!.family);
  });
}

/** Resolves `url`'s host as delivery would, for the check at creation: rejects if refused. */
export async function assertPublicDestination(url: URL): Promise<void> {
  const host = hostOf(url);
  if (isIP(host)) {
    if (isNonPublicAddress(host)) throw new DestinationRefusedError(host);
    return;
  }
  await new Promise<void>((resolve, reject) =>
    publicOnlyLookup(host, { all: true }, (error) => (error ? reject(error) : resolve())),
  );
}
