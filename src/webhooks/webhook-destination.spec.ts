import { describe, expect, it } from 'vitest';
import {
  assertAllowedDestination,
  DestinationRefusedError,
  isNeverAllowedAddress,
  isNonPublicAddress,
} from './webhook-destination.js';

describe('isNonPublicAddress', () => {
  it.each([
    '10.0.0.1',
    '127.0.0.1',
    '169.254.169.254',
    '172.16.5.4',
    '192.168.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '64:ff9b::a00:1',
    '::a00:1',
    '64:ff9b:1::a00:1',
    '2002:a00:1::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    'fec0::1',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1'])(
    'allows the public address %s',
    (address) => {
      expect(isNonPublicAddress(address)).toBe(false);
    },
  );
});

describe('assertAllowedDestination', () => {
  it('refuses a literal link-local address without resolving anything', async () => {
    await expect(assertAllowedDestination(new URL('http://169.254.169.254/'))).rejects.toThrow(
      DestinationRefusedError,
    );
  });

  it('refuses a bracketed IPv6 loopback', async () => {
    await expect(assertAllowedDestination(new URL('http://[::1]:8080/'))).rejects.toThrow(
      DestinationRefusedError,
    );
  });

  it('refuses a name that resolves to loopback', async () => {
    await expect(assertAllowedDestination(new URL('http://localhost/'))).rejects.toThrow(
      DestinationRefusedError,
    );
  });
});

describe('isNeverAllowedAddress (refused even with WEBHOOKS_ALLOW_PRIVATE_NETWORKS)', () => {
  it.each(['169.254.169.254', '0.0.0.0', '0.1.2.3', '::', 'fe80::1', '::ffff:169.254.169.254'])(
    'refuses %s',
    (address) => {
      expect(isNeverAllowedAddress(address)).toBe(true);
    },
  );

  it.each(['127.0.0.1', '10.0.0.1', '::1', 'fd00::1', '93.184.216.34'])('allows %s', (address) => {
    expect(isNeverAllowedAddress(address)).toBe(false);
  });

  it('refuses a link-local literal even when private networks are allowed', async () => {
    await expect(
      assertAllowedDestination(new URL('http://169.254.169.254/'), true),
    ).rejects.toThrow(DestinationRefusedError);
    await expect(assertAllowedDestination(new URL('http://127.0.0.1/'), true)).resolves.toBe(
      undefined,
    );
  });

  it('names the host as given, never the address it resolved to', async () => {
    await expect(assertAllowedDestination(new URL('http://localhost/'))).rejects.toThrow(
      'destination localhost is or resolves to',
    );
  });
});
