import { canonicalIpAddress } from './ip-address.js';

/** A name or address that reaches only the machine it is used on. */
export function isLocalHost(hostname: string): boolean {
  const name = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const address = canonicalIpAddress(name);
  return address !== undefined && /^(127\.|0\.0\.0\.0$|::1?$)/.test(address);
}
