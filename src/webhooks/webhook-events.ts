/**
 * The events other services can subscribe to (issue #22). Each carries ids and what changed,
 * by the API's field names; never a password, a hash, a token or a code.
 */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'session.revoked',
  'password.changed',
  'mfa.enabled',
  'mfa.disabled',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** A user's fields as `user.updated` reports them: only those that changed, new values. */
export interface UserFieldChanges {
  email?: string;
  username?: string;
  email_verified?: boolean;
  is_active?: boolean;
  disabled_until?: string | null;
  roles?: string[];
}

/** What a change site hands to `WebhookOutbox.record`. */
export type WebhookEventInput =
  | {
      type: 'user.created';
      userId: string;
      data: { email: string; username: string; email_verified: boolean };
    }
  | { type: 'user.updated'; userId: string; data: { changes: UserFieldChanges } }
  | { type: 'user.deleted'; userId: string; data?: Record<string, never> }
  | {
      type: 'session.revoked';
      userId: string;
      data: { session_ids: string[]; scope: 'one' | 'all'; reason: string };
    }
  | { type: 'password.changed'; userId: string; data?: Record<string, never> }
  | { type: 'mfa.enabled' | 'mfa.disabled'; userId: string; data: { method: 'totp' } };
