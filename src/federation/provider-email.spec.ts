import { describe, expect, it } from 'vitest';
import { accountAddress, mayLinkAutomatically, usableProviderEmail } from './provider-email.js';

describe('provider email addresses', () => {
  it('keeps an address an account could hold, as the provider gave it', () => {
    expect(usableProviderEmail('Alice@Example.com')).toBe('Alice@Example.com');
  });

  it('treats as absent an address too long for the columns, or one the address rules refuse', () => {
    expect(usableProviderEmail(`${'a'.repeat(250)}@example.com`)).toBeNull();
    expect(usableProviderEmail('a"b@example.com')).toBeNull();
    expect(usableProviderEmail('a\u0000b@example.com')).toBeNull();
    expect(usableProviderEmail('no-at-sign')).toBeNull();
    expect(usableProviderEmail(42)).toBeNull();
    expect(usableProviderEmail('')).toBeNull();
  });

  it('links automatically only an address equal to its normalised form apart from ASCII case', () => {
    const plain = 'Kate@Example.COM';
    expect(mayLinkAutomatically(plain, accountAddress(plain)!)).toBe(true);
    const kelvin = '\u212Aate@example.com';
    expect(accountAddress(kelvin)).toBe('kate@example.com');
    expect(mayLinkAutomatically(kelvin, accountAddress(kelvin)!)).toBe(false);
    const idn = 'alice@bücher.example';
    expect(mayLinkAutomatically(idn, accountAddress(idn)!)).toBe(false);
  });
});
