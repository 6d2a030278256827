import { describe, expect, it } from 'vitest';
import { addressBucket } from './address-bucket.js';

describe('addressBucket', () => {
  it('keeps an IPv4 address, and an IPv4-mapped IPv6 address in any form as its IPv4', () => {
    expect(addressBucket('203.0.113.9')).toBe('203.0.113.9');
    for (const form of ['::ffff:203.0.113.9', '::ffff:cb00:7109', '0:0:0:0:0:FFFF:203.0.113.9']) {
      expect(addressBucket(form), form).toBe('203.0.113.9');
    }
  });

  it('counts every address of one IPv6 /64 together, however it is written', () => {
    const bucket = '2001:db8:aa:1::/64';
    for (const address of [
      '2001:db8:aa:1::1',
      '2001:0db8:00aa:0001:ffff:1:2:3',
      '2001:db8:aa:1:0:0:0:7%eth0',
      '2001:db8:aa:1::1.2.3.4',
    ]) {
      expect(addressBucket(address), address).toBe(bucket);
    }
    expect(addressBucket('2001:db8:aa:2::1')).not.toBe(bucket);
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('2001:db8::')).toBe('2001:db8:0:0::/64');
  });
});
