import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type TestAgent from 'supertest/lib/agent.js';
import { expect } from 'vitest';
import { logIn, signUp } from './factories/user.factory.js';
import { totpStepsAway } from './totp-reference.js';
import { verifiesBySpecification, verifiesWith, type WebhookReceipt } from './webhook-receiver.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** What one scripted user's changes record, in order (issue #22's event list). */
export const SCRIPTED_EVENTS = [
  'user.created',
  'user.updated', // email verified
  'mfa.enabled',
  'mfa.disabled',
  'session.revoked', // one
  'password.changed',
  'session.revoked', // all
  'user.updated', // username
  'user.updated', // email
  'user.updated', // roles
  'user.updated', // deactivated
  'user.updated', // active again
  'user.deleted',
] as const;

/** The verification link's token mailed to `email`, from the mail outbox folder. */
async function verificationToken(outboxDir: string, email: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const file of await readdir(outboxDir).catch(() => [])) {
      const text = await readFile(join(outboxDir, file), 'utf8');
      const token = /verify-email\?token=([A-Za-z0-9_-]{43})/.exec(text)?.[1];
      if (token && text.includes(`To: ${email}`)) return token;
    }
    if (Date.now() > deadline) throw new Error(`no verification mail to ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One user's life through the HTTP API, every change that records an event: signup,
 * verification, two-step on and off, a session revoked, the password, every session revoked,
 * then an administrator's username, email, roles, deactivation, activation and deletion.
 * Returns the user's id; its events are SCRIPTED_EVENTS.
 */
export async function runScriptedUser(
  http: TestAgent,
  adminToken: string,
  outboxDir: string,
): Promise<string> {
  const user = await signUp(http);
  const ok = (status: number) => (response: { status: number; text: string }) =>
    expect(response.status, response.text).toBe(status);
  ok(200)(
    await http
      .post('/auth/verify-email')
      .send({ token: await verificationToken(outboxDir, user.email) }),
  );
  const { accessToken } = await logIn(http, user);
  const asUser = bearer(accessToken);
  const setup = await http
    .post('/auth/mfa/totp/setup')
    .set(asUser)
    .send({ password: user.password });
  const code = (steps: number) => totpStepsAway(setup.body.secret as string, steps);
  ok(200)(
    await http
      .post('/auth/mfa/totp/confirm')
      .set(asUser)
      .send({ code: code(-1) }),
  );
  ok(200)(
    await http
      .post('/auth/mfa/totp/disable')
      .set(asUser)
      .send({ password: user.password, code: code(0) }),
  );
  await logIn(http, user);
  const sessions = (await http.get('/auth/sessions').set(asUser)).body as {
    id: string;
    current: boolean;
  }[];
  ok(204)(await http.delete(`/auth/sessions/${sessions.find((s) => !s.current)!.id}`).set(asUser));
  const password = `${user.password} and more`;
  ok(200)(
    await http
      .post('/auth/change-password')
      .set(asUser)
      .send({ current_password: user.password, new_password: password }),
  );
  await logIn(http, { ...user, password });
  ok(200)(await http.post('/auth/logout-all').set(asUser));
  const asAdmin = bearer(adminToken);
  const admin = (path: string) => `/admin/users/${user.id}${path}`;
  const tag = user.username.slice(-10);
  ok(200)(
    await http
      .patch(admin(''))
      .set(asAdmin)
      .send({ username: `moved_${tag}` }),
  );
  ok(200)(
    await http
      .patch(admin(''))
      .set(asAdmin)
      .send({ email: `moved.${tag}@example.com` }),
  );
  ok(200)(
    await http
      .put(admin('/roles'))
      .set(asAdmin)
      .send({ roles: ['support'] }),
  );
  ok(200)(await http.post(admin('/disable')).set(asAdmin).send({ reason: 'scripted run' }));
  ok(200)(await http.post(admin('/enable')).set(asAdmin).send({}));
  ok(204)(await http.delete(admin('')).set(asAdmin));
  return user.id;
}

/** The receipts of `userId`, the first of each webhook-id kept (receivers de-duplicate so). */
export function deduplicated(receipts: WebhookReceipt[], userId: string): WebhookReceipt[] {
  const seen = new Set<string>();
  return receipts.filter(
    (receipt) => receipt.data.user_id === userId && !seen.has(receipt.id) && seen.add(receipt.id),
  );
}

/** Every receipt verifies with `secret`, by the reference library and by the specification. */
export function expectAllSigned(receipts: WebhookReceipt[], secret: string): void {
  const unsigned = receipts.filter(
    (receipt) => !verifiesWith(receipt, secret) || !verifiesBySpecification(receipt, secret),
  );
  expect(unsigned.map(({ id }) => id)).toEqual([]);
}
