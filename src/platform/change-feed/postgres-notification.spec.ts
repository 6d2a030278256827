import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MAX_PAYLOAD_BYTES,
  notificationPayloads,
  parseNotification,
  pingPayload,
} from './postgres-notification.js';

describe('notificationPayloads', () => {
  it('sends a small change as one payload that reads back the same', () => {
    const entries = [[randomUUID(), 1_795_000_000_000]];
    const payloads = notificationPayloads('sessions-revoked', entries);
    expect(payloads).toHaveLength(1);
    expect(parseNotification(payloads[0]!)).toEqual({
      kind: 'change',
      topic: 'sessions-revoked',
      entries,
    });
  });

  it('splits a thousand revocations into payloads PostgreSQL accepts, losing none', () => {
    const entries = Array.from({ length: 1000 }, () => [randomUUID(), Date.now()]);
    const payloads = notificationPayloads('sessions-revoked', entries);

    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) {
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    }
    const readBack = payloads.flatMap((payload) => {
      const notification = parseNotification(payload);
      return notification?.kind === 'change' ? notification.entries : [];
    });
    expect(readBack).toEqual(entries);
  });

  it('fills each payload before starting the next', () => {
    const entries = Array.from({ length: 1000 }, () => randomUUID());
    const payloads = notificationPayloads('users-changed', entries);
    // Every payload but the last had no room for one more id (38 bytes and a comma).
    const oneMore = Buffer.byteLength(`,${JSON.stringify(entries[0])}`);
    for (const payload of payloads.slice(0, -1)) {
      expect(Buffer.byteLength(payload) + oneMore).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    }
  });

  it('sends nothing for nothing', () => {
    expect(notificationPayloads('users-changed', [])).toEqual([]);
  });

  it('refuses an entry that could never fit, rather than fail the transaction in PostgreSQL', () => {
    expect(() => notificationPayloads('users-changed', ['x'.repeat(MAX_PAYLOAD_BYTES)])).toThrow(
      /exceeds a notification/,
    );
  });
});

describe('parseNotification', () => {
  it('reads a ping', () => {
    expect(parseNotification(pingPayload('n1'))).toEqual({ kind: 'ping', nonce: 'n1' });
  });

  it.each([
    ['not JSON', 'revoke everything'],
    ['JSON that is not an object', '42'],
    ['null', 'null'],
    ['no topic', '{"entries":[]}'],
    ['entries that are not a list', '{"topic":"sessions-revoked","entries":"s1"}'],
    ['a ping that is not a string', '{"ping":1}'],
  ])('calls %s malformed', (_name, payload) => {
    expect(parseNotification(payload)).toBeUndefined();
  });
});
