import { createHash, createHmac } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { describe, expect, it } from 'vitest';
import { buildConfiguration, type Configuration } from '../config/configuration.js';
import { RefreshGrace } from './refresh-grace.js';

const SECRET = 'refresh-grace-spec-secret-0123456789abcdef';
const graceWith = (env: Record<string, string>) =>
  new RefreshGrace(
    new ConfigService<Configuration, true>(
      buildConfiguration({ NODE_ENV: 'test', JWT_SECRET: SECRET, ...env }),
    ),
  );

describe('RefreshGrace', () => {
  const token = 'a'.repeat(43);

  it('derives the successor from the predecessor: the same wherever it is computed', () => {
    const successor = graceWith({}).successorOf(token);
    expect(successor).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(graceWith({}).successorOf(token)).toBe(successor);
    expect(graceWith({}).successorOf(`${token}b`)).not.toBe(successor);
  });

  it('needs the server key: another secret, the secret itself or a plain hash give another', () => {
    const successor = graceWith({}).successorOf(token);
    expect(graceWith({ JWT_SECRET: `${SECRET}x` }).successorOf(token)).not.toBe(successor);
    expect(createHmac('sha256', SECRET).update(token).digest('base64url')).not.toBe(successor);
    expect(createHash('sha256').update(token).digest('base64url')).not.toBe(successor);
  });

  it('draws random successors when the grace is off', () => {
    const grace = graceWith({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    expect(grace.seconds).toBe(0);
    expect(grace.successorOf(token)).not.toBe(grace.successorOf(token));
  });

  it.each(['-1', '61', 'ten'])('refuses REFRESH_REUSE_GRACE_SECONDS=%s at start-up', (value) => {
    expect(() => graceWith({ REFRESH_REUSE_GRACE_SECONDS: value })).toThrow(
      /REFRESH_REUSE_GRACE_SECONDS/,
    );
  });
});
