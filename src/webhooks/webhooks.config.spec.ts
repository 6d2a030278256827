import { describe, expect, it } from 'vitest';
import { buildConfiguration } from '../config/configuration.js';

describe('WEBHOOKS_LEASE_SECONDS', () => {
  const base = { JWT_SECRET: 'x'.repeat(64), DATABASE_URL: 'postgres://localhost/x' };

  it('defaults to three timeouts and 30 seconds', () => {
    expect(buildConfiguration(base).webhooks.leaseMs).toBe(60_000);
    expect(buildConfiguration({ ...base, WEBHOOKS_TIMEOUT_SECONDS: '20' }).webhooks.leaseMs).toBe(
      90_000,
    );
  });

  it('is taken when longer than the timeout, refused when not', () => {
    const settings = { ...base, WEBHOOKS_TIMEOUT_SECONDS: '2' };
    expect(buildConfiguration({ ...settings, WEBHOOKS_LEASE_SECONDS: '3' }).webhooks.leaseMs).toBe(
      3000,
    );
    expect(() => buildConfiguration({ ...settings, WEBHOOKS_LEASE_SECONDS: '2' })).toThrow(
      /WEBHOOKS_LEASE_SECONDS: must be longer than WEBHOOKS_TIMEOUT_SECONDS/,
    );
    expect(() => buildConfiguration({ ...settings, WEBHOOKS_LEASE_SECONDS: '1' })).toThrow(
      /WEBHOOKS_LEASE_SECONDS/,
    );
  });
});
