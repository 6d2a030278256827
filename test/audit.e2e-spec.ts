import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../src/audit/audit.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import { signUp, type LoggedInUser } from './factories/user.factory.js';

interface EntryBody {
  id: string;
  before: unknown;
  after: unknown;
  actor_user_id: string | null;
  actor: string;
  action: string;
  target_id: string | null;
  reason: string | null;
}

describe('the audit log (issue #19)', () => {
  let t: TestApp;
  let operator: LoggedInUser;
  beforeAll(async () => {
    t = await createTestApp();
    operator = await signUpOperator(t.http, t.dataSource);
  });
  afterAll(() => t.close());

  const bearer = (user: { accessToken: string }) => ({
    Authorization: `Bearer ${user.accessToken}`,
  });
  const list = async (query: string) => {
    const response = await t.http.get(`/admin/audit?${query}`).set(bearer(operator));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as { entries: EntryBody[]; next_cursor: string | null };
  };
  /** One audited action through the service, as a route would make it. */
  const recordFor = (targetId: string, action = 'user.enabled', reason: string | null = null) =>
    t.dataSource.transaction((manager) =>
      t.app.get(AuditService).record(
        {
          actor: { userId: null, label: 'cli' },
          action,
          target: { type: 'user', id: targetId },
          reason,
        },
        manager,
      ),
    );

  describe('append-only in the database', () => {
    it.each([
      ['UPDATE', `UPDATE audit_entries SET reason = 'rewritten'`],
      ['DELETE', 'DELETE FROM audit_entries'],
      ['TRUNCATE', 'TRUNCATE audit_entries'],
    ])('refuses %s, even in plain SQL', async (_kind, sql) => {
      await recordFor(randomUUID());
      const [{ count: before }] = await t.dataSource.query<[{ count: number }]>(
        'SELECT count(*)::int AS count FROM audit_entries',
      );
      await expect(t.dataSource.query(sql)).rejects.toThrow(/append-only/);
      const [{ count: after }] = await t.dataSource.query<[{ count: number }]>(
        `SELECT count(*)::int AS count FROM audit_entries WHERE reason IS DISTINCT FROM 'rewritten'`,
      );
      expect(after).toBeGreaterThanOrEqual(before);
    });
  });

  describe('GET /admin/audit', () => {
    it('lists what administrators did through the API, newest first, filtered by actor and target', async () => {
      const user = await signUp(t.http);
      for (const path of ['disable', 'enable']) {
        const response = await t.http
          .post(`/admin/users/${user.id}/${path}`)
          .set(bearer(operator))
          .send({ reason: `reason ${path}` });
        expect(response.status).toBe(200);
      }
      const page = await list(`target_user=${user.id}`);
      expect(page.entries.map((entry) => [entry.action, entry.reason])).toEqual([
        ['user.enabled', 'reason enable'],
        ['user.disabled', 'reason disable'],
      ]);
      expect(page.entries[0]).toMatchObject({
        actor_user_id: operator.id,
        actor: operator.username,
        target_id: user.id,
      });
      const byActor = await list(
        `actor=${operator.id}&action=user.disabled&target_user=${user.id}`,
      );
      expect(byActor.entries).toHaveLength(1);
      const future = new Date(Date.now() + 60_000).toISOString();
      expect((await list(`target_user=${user.id}&from=${future}`)).entries).toEqual([]);
      expect((await list(`target_user=${user.id}&to=${future}`)).entries).toHaveLength(2);
    });

    it("records the roles API's changes too, and shows the user roles_changed", async () => {
      const user = await signUp(t.http);
      const response = await t.http
        .put(`/admin/users/${user.id}/roles`)
        .set(bearer(operator))
        .send({ roles: ['support'] });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      const [entry] = (await list(`target_user=${user.id}`)).entries;
      expect(entry).toMatchObject({
        action: 'user.roles_changed',
        actor_user_id: operator.id,
        actor: operator.username,
        before: { roles: [] },
        after: { roles: ['support'] },
      });
      const [{ type }] = await t.dataSource.query<[{ type: string }]>(
        'SELECT type FROM security_events WHERE user_id = $1 ORDER BY id DESC LIMIT 1',
        [user.id],
      );
      expect(type).toBe('roles_changed');
    });

    it('pages through every entry exactly once while new ones are written', async () => {
      const target = randomUUID();
      for (let index = 0; index < 9; index += 1) await recordFor(target);
      const [{ ids }] = await t.dataSource.query<[{ ids: string[] }]>(
        'SELECT array_agg(id::text) AS ids FROM audit_entries WHERE target_id = $1',
        [target],
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await list(
          `target_user=${target}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        seen.push(...page.entries.map((entry) => entry.id));
        cursor = page.next_cursor;
        await recordFor(target);
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining(ids));
      expect(seen).toEqual([...seen].sort((a, b) => Number(b) - Number(a)));
    });

    it('refuses a tampered cursor with 400 invalid-cursor', async () => {
      const target = randomUUID();
      await recordFor(target);
      await recordFor(target);
      const { next_cursor: cursor } = await list(`target_user=${target}&limit=1`);
      const [, signature] = cursor!.split('.');
      const forged = `${Buffer.from(JSON.stringify({ id: '999999999' })).toString('base64url')}.${signature}`;
      for (const bad of [forged, 'x', `${cursor}.x`, randomBytes(40).toString('base64url')]) {
        const response = await t.http
          .get(`/admin/audit?cursor=${encodeURIComponent(bad)}`)
          .set(bearer(operator));
        expect(response.status, bad).toBe(400);
        expect(response.body.type).toMatch(/\/invalid-cursor$/);
      }
    });

    it.each([
      'actor=not-a-uuid',
      'target_user=1',
      'action=DROP%20TABLE',
      'from=yesterday',
      // Valid ISO 8601 that `new Date()` cannot read: they reached PostgreSQL as 500s.
      'from=2030-W01-1',
      'to=2030-123',
      'from=20300101',
      'to=2030-01-01T10',
      'limit=1000',
      'limit=-1',
    ])('refuses %s with 422, never 5xx', async (query) => {
      const response = await t.http.get(`/admin/audit?${query}`).set(bearer(operator));
      expect(response.status, JSON.stringify(response.body)).toBe(422);
    });

    it('needs audit:read: 403 without it, 401 without a token', async () => {
      const support = await signUpOperator(t.http, t.dataSource, ['users:read']);
      const refused = await t.http.get('/admin/audit').set(bearer(support));
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toContain('audit:read');
      expect((await t.http.get('/admin/audit')).status).toBe(401);
    });
  });
});
