import { describe, expect, it } from 'vitest';
import {
  assertPublicDestination,
  DestinationRefusedError,
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

describe('assertPublicDestination', () => {
  it('refuses a literal link-local address without resolving anything', async () => {
    await expect(assertPublicDestination(new URL('http://169.254.169.254/'))).rejects.toThrow(
      DestinationRefusedError,
    );
  });

  it('refuses a bracketed IPv6 loopback', async () => {
    await expect(assertPublicDestination(new URL('http://[::1]:8080/'))).rejects.toThrow(
      DestinationRefusedError,
    );
  });

  it('refuses a name that resolves to loopback', async () => {
    await expect(assertPublicDestination(new URL('http://localhost/'))).rejects.toThrow(
      DestinationRefusedError,
    );
  });
});
