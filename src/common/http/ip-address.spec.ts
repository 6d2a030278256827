import { describe, expect, it } from 'vitest';
import { canonicalIpAddress, ipv6Groups } from './ip-address.js';

describe('ipv6Groups', () => {
  it('expands every textual form of one address to the same eight groups', () => {
    const groups = [0x2001, 0xdb8, 0, 0, 0, 0, 0xc633, 0x6407];
    for (const form of [
      '2001:db8::c633:6407',
      '2001:0DB8:0000:0000:0000:0000:C633:6407',
      '2001:db8:0:0::198.51.100.7',
      '2001:db8::c633:6407%eth0',
    ]) {
      expect(ipv6Groups(form), form).toEqual(groups);
    }
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('is undefined for what is not an IPv6 address', () => {
    for (const value of ['198.51.100.7', '1:2:3', '::ffff:01.2.3.4', '::g', '', 'unknown']) {
      expect(ipv6Groups(value), value).toBeUndefined();
    }
  });
});

describe('canonicalIpAddress', () => {
  it('turns an IPv4-mapped IPv6 address, in any form, into the IPv4 address it carries', () => {
    for (const form of [
      '::ffff:c633:6407',
      '::FFFF:C633:6407',
      '0:0:0:0:0:ffff:198.51.100.7',
      '::ffff:198.51.100.7',
      '0000:0000:0000:0000:0000:ffff:c633:6407',
      '0::ffff:198.51.100.7%eth0',
    ]) {
      expect(canonicalIpAddress(form), form).toBe('198.51.100.7');
    }
    expect(canonicalIpAddress('::ffff:0:0')).toBe('0.0.0.0');
    expect(canonicalIpAddress('::ffff:ffff:ffff')).toBe('255.255.255.255');
  });

  it('keeps an IPv4 address, and leaves IPv6 addresses near the mapped range as IPv6', () => {
    expect(canonicalIpAddress('198.51.100.7')).toBe('198.51.100.7');
    // IPv4-compatible (deprecated), IPv4-translated and NAT64 addresses are other hosts' own.
    expect(canonicalIpAddress('::198.51.100.7')).toBe('::c633:6407');
    expect(canonicalIpAddress('::ffff:0:198.51.100.7')).toBe('::ffff:0:c633:6407');
    expect(canonicalIpAddress('64:ff9b::198.51.100.7')).toBe('64:ff9b::c633:6407');
    expect(canonicalIpAddress('0:0:0:0:1:ffff:c633:6407')).toBe('::1:ffff:c633:6407');
  });

  it('writes other IPv6 addresses in their RFC 5952 form, without a zone', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['fe80::1%' + 'x'.repeat(100), 'fe80::1'],
    ];
    for (const [form, canonical] of cases) expect(canonicalIpAddress(form), form).toBe(canonical);
  });

  it('is undefined for what is not an IP address', () => {
    for (const value of ['', 'unknown', 'x'.repeat(100), '198.51.100.07', '1.2.3.4%eth0']) {
      expect(canonicalIpAddress(value), value).toBeUndefined();
    }
  });
});
