import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emailAddressProblem, normalizeEmail } from './email-address.js';
import { loginLookupKey } from './login-lookup-key.js';

describe('normalizeEmail', () => {
  it('trims spaces, lower-cases, and writes an internationalised domain in punycode', () => {
    expect(normalizeEmail('  Alice@Example.COM ')).toBe('alice@example.com');
    for (const form of [
      'alice@bücher.example',
      'Alice@BÜCHER.EXAMPLE',
      'alice@bu\u0308cher.example',
      'alice@ｂüｃｈｅｒ.example',
      'alice@xn--bcher-kva.example',
    ]) {
      expect(normalizeEmail(form), form).toBe('alice@xn--bcher-kva.example');
    }
  });

  it('composes the local part (NFC), so one mailbox is one string', () => {
    expect(normalizeEmail('Jose\u0301@example.com')).toBe('jos\u00e9@example.com');
  });

  it('keeps a domain that UTS #46 would change by dropping invisible characters', () => {
    expect(normalizeEmail('a@exa\u200bmple.com')).toBe('a@exa\u200bmple.com');
    expect(normalizeEmail('a@Exa\u00admple.com')).toBe('a@exa\u00admple.com');
  });

  it('is what the login lookup does to an email, and stable when applied again', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.string({ unit: 'grapheme', maxLength: 8 }), (email, x) => {
        const once = normalizeEmail(`${x}${email}`);
        expect(normalizeEmail(once)).toBe(once);
        // The lookup trims any white space first (a login form's stray tab or newline);
        // normalizeEmail trims spaces only, so that signup refuses the others.
        expect(loginLookupKey(` ${x}${email} `)).toBe(normalizeEmail(`${x}${email}`.trim()));
      }),
    );
  });
});

describe('emailAddressProblem', () => {
  it('accepts plain and internationalised addresses once normalised', () => {
    for (const email of [
      'alice@example.com',
      'jos\u00e9@xn--bcher-kva.example',
      "o'neil+x@a.b.c",
    ]) {
      expect(emailAddressProblem(normalizeEmail(email)), email).toBeUndefined();
    }
  });

  it('refuses quotes, control, separator, space and invisible characters anywhere', () => {
    for (const email of [
      '"x\r\nbcc: someone@else.test"@example.com',
      '"alice"@example.com',
      'a\r\nb@example.com',
      'a\u0000@example.com',
      'a\u0085@example.com',
      'a\u2028@example.com',
      'a\u2029@example.com',
      'a\u00a0b@example.com',
      'a\u3000b@example.com',
      'a\u200b@example.com',
      'a\u200d@example.com',
      'a\u00ad@example.com',
      'a\u202e@example.com',
      'a\u2066@example.com',
      'a\ufeff@example.com',
      'a\u3164@example.com',
      'a\ufe0f@example.com',
      'a\u2800@example.com',
      'a\u{e0041}@example.com',
      'a\ue000@example.com',
      'a\ud800@example.com',
      'a@exa\u200bmple.com',
      'a@example.com\t',
    ]) {
      expect(emailAddressProblem(normalizeEmail(email)), JSON.stringify(email)).toBe(
        'must not contain quotes, spaces, control or invisible characters',
      );
    }
  });

  it('refuses a domain that UTS #46 cannot map', () => {
    for (const email of ['a@a%b.example', 'a@x\u0663\u0031.example']) {
      expect(emailAddressProblem(normalizeEmail(email)), email).toBe(
        'must be a valid email address',
      );
    }
  });
});
