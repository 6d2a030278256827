import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../src/admin/admin-cli.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { auditRowsFor } from './factories/admin.factory.js';
import {
  onPrivateDatabase,
  privateDatabase,
  type PrivateDatabase,
} from './factories/private-database.js';
import { signUpAndLogIn } from './factories/user.factory.js';
import { within } from './within.js';

// A database of its own: revoking the last administrator must find exactly one.
describe('npm run admin (issue #19)', () => {
  let database: PrivateDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await privateDatabase();
    t = await createTestApp(onPrivateDatabase(database));
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  const admin = (...args: string[]) => runAdminCli(args, t.configuration);

  it('grants admin by email; a running instance lets the account in within a second', async () => {
    const user = await signUpAndLogIn(t.http);
    const roles = () =>
      t.http.get('/admin/roles').set('Authorization', `Bearer ${user.accessToken}`);
    expect((await roles()).status).toBe(403);

    const granted = await admin('grant', 'admin', user.email.toUpperCase());
    expect(granted).toEqual({ exitCode: 0, output: expect.stringContaining('now holds: admin') });
    await within(1000, async () => (await roles()).status === 200);

    const listed = await admin('list');
    expect(listed.exitCode).toBe(0);
    expect(listed.output).toContain(`admin: `);
    expect(listed.output).toContain(`  ${user.username} <${user.email}>`);

    // By username too; the last administrator keeps the role.
    const refused = await admin('revoke', 'admin', user.username);
    expect(refused).toEqual({
      exitCode: 1,
      output: expect.stringMatching(/only active administrator/),
    });
  });

  it('revokes a role, and says what is wrong with a bad command', async () => {
    const user = await signUpAndLogIn(t.http);
    expect((await admin('grant', 'support', user.username)).exitCode).toBe(0);
    expect(await admin('revoke', 'support', user.username)).toEqual({
      exitCode: 0,
      output: expect.stringContaining('(no role)'),
    });
    // Audited as the API's grants are, by the command line's operator.
    expect(await auditRowsFor(t.dataSource, user.id)).toMatchObject([
      {
        actor_user_id: null,
        actor_label: expect.stringMatching(/^cli:/),
        after: { roles: ['support'] },
      },
      { actor_user_id: null, action: 'user.roles_changed', after: { roles: [] } },
    ]);
    expect(await admin('grant', 'wizard', user.username)).toEqual({
      exitCode: 1,
      output: expect.stringContaining('wizard'),
    });
    expect(await admin('grant', 'admin', 'nobody@example.com')).toEqual({
      exitCode: 1,
      output: expect.stringContaining('nobody@example.com'),
    });
    expect((await admin('grant', 'admin')).exitCode).toBe(2);
    expect((await admin('promote', 'admin', 'x')).exitCode).toBe(2);
  });
});
