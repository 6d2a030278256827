import type { EntityManager } from 'typeorm';

/** The one channel every instance listens on (per database: channels do not cross databases). */
export const NOTIFY_CHANNEL = 'whazz_auth_changes';

/**
 * PostgreSQL refuses a payload of 8000 bytes or more (NOTIFY_PAYLOAD_MAX_LENGTH, with the
 * default 8 kB block size), failing the transaction that sends it.
 */
export const MAX_PAYLOAD_BYTES = 7_999;

/** What a notification carries: a topic's entries, or the ping that proves delivery. */
export type FeedNotification =
  { kind: 'change'; topic: string; entries: unknown[] } | { kind: 'ping'; nonce: string };

/**
 * The payloads announcing `entries` of `topic`: as few as fit, each under the limit, so that
 * revoking a user's thousand sessions sends a few notifications instead of failing.
 */
export function notificationPayloads(topic: string, entries: readonly unknown[]): string[] {
  const head = `{"topic":${JSON.stringify(topic)},"entries":[`;
  const tail = ']}';
  const emptySize = Buffer.byteLength(head + tail);
  const payloads: string[] = [];
  let parts: string[] = [];
  let size = emptySize;
  for (const entry of entries) {
    const part = JSON.stringify(entry);
    const partSize = Buffer.byteLength(part) + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && size + partSize > MAX_PAYLOAD_BYTES) {
      payloads.push(head + parts.join(',') + tail);
      parts = [];
      size = emptySize;
    }
    parts.push(part);
    size += Buffer.byteLength(part) + (parts.length > 1 ? 1 : 0);
    // Entries are ids or [id, time]; one this large is a programming error, not data.
    if (size > MAX_PAYLOAD_BYTES) throw new Error(`an entry of ${topic} exceeds a notification`);
  }
  if (parts.length > 0) payloads.push(head + parts.join(',') + tail);
  return payloads;
}

export function pingPayload(nonce: string): string {
  return JSON.stringify({ ping: nonce });
}

/** Undefined for anything this service did not send: the caller logs it and goes on. */
export function parseNotification(payload: string): FeedNotification | undefined {
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  const { topic, entries, ping } = message as Record<string, unknown>;
  if (typeof ping === 'string') return { kind: 'ping', nonce: ping };
  if (typeof topic === 'string' && Array.isArray(entries))
    return { kind: 'change', topic, entries };
  return undefined;
}

/**
 * Queues the notifications in the transaction of `manager`: PostgreSQL delivers them when it
 * commits, and never if it rolls back. One round trip, however many payloads.
 */
export async function notifyWithin(
  manager: EntityManager,
  topic: string,
  entries: readonly unknown[],
): Promise<void> {
  await manager.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [
    NOTIFY_CHANNEL,
    notificationPayloads(topic, entries),
  ]);
}
