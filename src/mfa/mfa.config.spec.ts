import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildConfiguration } from '../config/configuration.js';

describe('MFA_ENCRYPTION_KEY', () => {
  const base = { JWT_SECRET: 'x'.repeat(64), DATABASE_URL: 'postgres://localhost/x' };

  it('must be the base64 of 32 bytes', () => {
    expect(() => buildConfiguration({ ...base, MFA_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(
      /MFA_ENCRYPTION_KEY: must be the base64 of exactly 32 bytes/,
    );
    const key = randomBytes(32).toString('base64');
    const { mfa } = buildConfiguration({ ...base, MFA_ENCRYPTION_KEY: key });
    expect(mfa.currentKey?.key.toString('base64')).toBe(key);
  });

  it('never shows a refused key in the message', () => {
    const bad = randomBytes(31).toString('base64');
    expect(() => buildConfiguration({ ...base, MFA_ENCRYPTION_KEY: bad })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(bad) }),
    );
  });

  it('has a development key outside production, and none in production unless set', () => {
    expect(buildConfiguration(base).mfa.currentKey).not.toBeNull();
    expect(() =>
      buildConfiguration({
        ...base,
        MFA_PREVIOUS_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
      }),
    ).toThrow(/MFA_PREVIOUS_ENCRYPTION_KEYS: needs MFA_ENCRYPTION_KEY/);
  });
});
