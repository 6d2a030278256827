import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationService } from '../src/authorization/authorization.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { auditRowsFor } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { newSignup, signUp } from './factories/user.factory.js';
import { startSmtpServer, tokenIn, type TestSmtpServer } from './smtp-server.js';

const promotedLines = (t: TestApp) =>
  t.logs.filter((line) => line.includes('BOOTSTRAP_ADMIN_EMAIL') && line.includes('administrator'));

// A database of its own: the rule applies only while no account anywhere is administrator.
describe('BOOTSTRAP_ADMIN_EMAIL (issue #19)', () => {
  let database: PrivateDatabase;
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    database = await privateDatabase();
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
    await database.drop();
  });

  const start = (env: Record<string, string> = {}) =>
    createTestApp({ ...onPrivateDatabase(database), SMTP_URL: smtp.url, ...env });
  const rolesOf = (t: TestApp, id: string) => t.app.get(AuthorizationService).rolesOf(id);

  it('makes the next account to sign up and verify with that email an administrator, once', async () => {
    const input = newSignup();
    const t = await start({ BOOTSTRAP_ADMIN_EMAIL: input.email.toUpperCase() });
    try {
      const user = await signUp(t.http, input);
      expect(await rolesOf(t, user.id)).toEqual([]);
      const token = tokenIn(await smtp.mailTo(user.email, /Confirm your email/));
      expect((await t.http.post('/auth/verify-email').send({ token })).status).toBe(200);
      expect(await rolesOf(t, user.id)).toEqual(['admin']);
      expect(promotedLines(t)).toHaveLength(1);
      // Audited as any grant, by the service itself, and shown to the account.
      expect(await auditRowsFor(t.dataSource, user.id)).toMatchObject([
        {
          actor_user_id: null,
          actor_label: 'system',
          action: 'user.roles_changed',
          before: { roles: [] },
          after: { roles: ['admin'] },
        },
      ]);
      const [{ count }] = await t.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM security_events WHERE user_id = $1 AND type = 'roles_changed'`,
        [user.id],
      );
      expect(count).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('at start-up does nothing while an administrator exists, and promotes the verified account once none does', async () => {
    const first = await start();
    let candidate: { id: string; email: string };
    try {
      candidate = await signUp(first.http);
      await first.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [
        candidate.id,
      ]);
    } finally {
      await first.close();
    }

    // The administrator of the test above is still active: the variable is inert.
    const inert = await start({ BOOTSTRAP_ADMIN_EMAIL: candidate.email });
    try {
      expect(await rolesOf(inert, candidate.id)).toEqual([]);
      expect(promotedLines(inert)).toEqual([]);
      await inert.dataSource.query(
        `DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')`,
      );
    } finally {
      await inert.close();
    }

    const [a, b] = await Promise.all([
      start({ BOOTSTRAP_ADMIN_EMAIL: candidate.email }),
      start({ BOOTSTRAP_ADMIN_EMAIL: candidate.email }),
    ]);
    try {
      expect(await rolesOf(a, candidate.id)).toEqual(['admin']);
      const [{ count }] = await a.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM user_roles
         WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')`,
      );
      expect(count).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('never promotes an unverified account', async () => {
    const t = await start();
    await t.dataSource.query('DELETE FROM user_roles');
    const user = await signUp(t.http);
    await t.close();
    const again = await start({ BOOTSTRAP_ADMIN_EMAIL: user.email });
    try {
      expect(await rolesOf(again, user.id)).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
