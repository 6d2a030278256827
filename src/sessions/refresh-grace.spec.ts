import { createHmac } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { describe, expect, it } from 'vitest';
import { buildConfiguration, type Configuration } from '../config/configuration.js';
import { RefreshGrace } from './refresh-grace.js';

const graceWith = (env: Record<string, string>) =>
  new RefreshGrace(
    new ConfigService<Configuration, true>(buildConfiguration({ NODE_ENV: 'test', ...env })),
  );

describe('RefreshGrace', () => {
  const token = 'a'.repeat(43);

  it('derives the successor from the predecessor and the rotation salt only', () => {
    const grace = graceWith({});
    const salt = grace.newSalt()!;
    const successor = grace.successorOf(token, salt);
    expect(successor).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(graceWith({}).successorOf(token, salt)).toBe(successor);
    expect(successor).toBe(createHmac('sha256', salt).update(token).digest('base64url'));
    expect(grace.successorOf(`${token}b`, salt)).not.toBe(successor);
  });

  it('draws a new 256-bit salt at every rotation: no two rotations share a successor', () => {
    const grace = graceWith({});
    const [first, second] = [grace.newSalt()!, grace.newSalt()!];
    expect(first).toHaveLength(32);
    expect(first.equals(second)).toBe(false);
    expect(grace.successorOf(token, first)).not.toBe(grace.successorOf(token, second));
  });

  it('needs no server secret: it starts without JWT_SECRET', () => {
    expect(graceWith({ JWT_SECRET: '' }).seconds).toBe(10);
  });

  it('stores no salt and draws random successors when the grace is off', () => {
    const grace = graceWith({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    expect(grace.seconds).toBe(0);
    expect(grace.newSalt()).toBeNull();
    expect(grace.successorOf(token, null)).not.toBe(grace.successorOf(token, null));
  });

  it.each(['-1', '61', 'ten'])('refuses REFRESH_REUSE_GRACE_SECONDS=%s at start-up', (value) => {
    expect(() => graceWith({ REFRESH_REUSE_GRACE_SECONDS: value })).toThrow(
      /REFRESH_REUSE_GRACE_SECONDS/,
    );
  });
});
