import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildConfiguration } from '../../config/configuration.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'k'.repeat(40),
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_PUBLIC_URL: 'https://app.example.com',
  AUTH_PUBLIC_URL: 'https://auth.example.com',
};

describe('signing key settings (issue #22)', () => {
  it('signs with EdDSA by default, ES256 or HS256 when asked, nothing else', () => {
    expect(buildConfiguration({}).signingKeys.algorithm).toBe('EdDSA');
    expect(buildConfiguration({ JWT_SIGNING_ALGORITHM: 'ES256' }).signingKeys.algorithm).toBe(
      'ES256',
    );
    expect(() => buildConfiguration({ JWT_SIGNING_ALGORITHM: 'RS256' })).toThrow(
      /JWT_SIGNING_ALGORITHM/,
    );
  });

  it('production refuses to keep private keys in the database with no key-encryption key', () => {
    expect(() => buildConfiguration(PRODUCTION)).toThrow(
      /SIGNING_KEY_ENCRYPTION_KEY: must be set when NODE_ENV=production/,
    );
    // HS256 keeps no private key: nothing to encrypt.
    expect(
      buildConfiguration({ ...PRODUCTION, JWT_SIGNING_ALGORITHM: 'HS256' }).signingKeys
        .encryptionKey,
    ).toBeNull();
    const key = randomBytes(32).toString('base64');
    const { signingKeys } = buildConfiguration({ ...PRODUCTION, SIGNING_KEY_ENCRYPTION_KEY: key });
    expect(signingKeys.encryptionKey?.key.toString('base64')).toBe(key);
  });

  it('takes only the base64 of 32 bytes as a key-encryption key, and never shows it', () => {
    const bad = randomBytes(31).toString('base64');
    expect(() => buildConfiguration({ SIGNING_KEY_ENCRYPTION_KEY: bad })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /SIGNING_KEY_ENCRYPTION_KEY: must be the base64 of exactly 32 bytes/,
        ) as unknown,
      }),
    );
    expect(() => buildConfiguration({ SIGNING_KEY_ENCRYPTION_KEY: bad })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(bad) as unknown }),
    );
  });

  it('production refuses an issuer URL that is missing or not https (issue #22 review)', () => {
    const key = randomBytes(32).toString('base64');
    const production = { ...PRODUCTION, SIGNING_KEY_ENCRYPTION_KEY: key };
    expect(() => buildConfiguration({ ...production, AUTH_PUBLIC_URL: '' })).toThrow(
      /AUTH_PUBLIC_URL: must be set when NODE_ENV=production/,
    );
    expect(() =>
      buildConfiguration({ ...production, AUTH_PUBLIC_URL: 'http://auth.example.com' }),
    ).toThrow(/AUTH_PUBLIC_URL: must be an https URL/);
    // Outside production the development server's address stands in.
    expect(buildConfiguration({}).signingKeys.publicUrl).toBe('http://localhost:8000');
  });

  it('turns days into an interval, 0 into none; the public URL loses its trailing slash', () => {
    const { signingKeys } = buildConfiguration({
      SIGNING_KEY_ROTATION_DAYS: '30',
      AUTH_PUBLIC_URL: 'https://auth.example.com/',
    });
    expect(signingKeys.rotationIntervalSeconds).toBe(30 * 86_400);
    expect(signingKeys.publicUrl).toBe('https://auth.example.com');
    expect(buildConfiguration({}).signingKeys.rotationIntervalSeconds).toBeNull();
  });
});
