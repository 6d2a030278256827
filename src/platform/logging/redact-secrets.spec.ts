import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact-secrets.js';

describe('redactSecrets', () => {
  it('returns a line with nothing secret as it is, without copying', () => {
    const line = { method: 'GET', path: '/auth/me', status: 200, ms: 1 };
    expect(redactSecrets(line)).toBe(line);
  });

  it('blanks secret-named properties at any depth and leaves the original alone', () => {
    const original = {
      password: 'hunter2 hunter2',
      body: { refresh_token: 'r', nested: [{ access_token: 'a', token: 't', keep: 1 }] },
      req: { headers: { authorization: 'Bearer x', cookie: 'c', host: 'h' } },
      user: { id: 'u', passwordHash: '$2b$12$…', password_hash: '$2b$12$…' },
    };
    const snapshot = structuredClone(original);
    expect(redactSecrets(original)).toEqual({
      password: REDACTED,
      body: {
        refresh_token: REDACTED,
        nested: [{ access_token: REDACTED, token: REDACTED, keep: 1 }],
      },
      req: { headers: { authorization: REDACTED, cookie: REDACTED, host: 'h' } },
      user: { id: 'u', passwordHash: REDACTED, password_hash: REDACTED },
    });
    expect(original).toEqual(snapshot);
  });

  it('blanks secrets held by class instances too (an entity logged by mistake)', () => {
    class Account {
      id = 'u';
      passwordHash = '$2b$12$abc';
    }
    expect(redactSecrets({ account: new Account() })).toEqual({
      account: { id: 'u', passwordHash: REDACTED },
    });
  });

  it('drops what lies deeper than any line we write, rather than walking it', () => {
    let deep: Record<string, unknown> = { password: 'p' };
    for (let level = 0; level < 10; level += 1) deep = { deep };
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('"p"');
  });

  it('leaves errors to the error serialiser and passes primitives through', () => {
    const error = new Error('boom');
    expect(redactSecrets({ err: error })).toEqual({ err: error });
    expect(redactSecrets('text')).toBe('text');
    expect(redactSecrets(null)).toBeNull();
  });
});
