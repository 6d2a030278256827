import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationService } from '../src/authorization/authorization.service.js';
import { PERMISSIONS } from '../src/authorization/permissions.js';
import { RolesService } from '../src/authorization/roles.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { logIn, signUp, type SignedUpUser } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';
import { totpStepsAway, previousStepCode } from './totp-reference.js';

const PROBLEM = 'https://whazz.audio/problems/';

/**
 * MFA_REQUIRED_ROLES (issue #20). The required role is one of this suite's own holding every
 * permission, as `admin` does: other suites hand `admin` to chosen accounts only, and would
 * take it from ours mid-test.
 */
describe('a second factor required for roles (issue #20)', () => {
  const officer = `mfa-officer-${randomBytes(4).toString('hex')}`;
  let t: TestApp;
  let authorization: AuthorizationService;
  beforeAll(async () => {
    t = await createTestApp({ MFA_REQUIRED_ROLES: `${officer}, auditor-of-nothing` });
    authorization = t.app.get(AuthorizationService);
    await t.app.get(RolesService).create(officer, PERMISSIONS);
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function officerAccount(): Promise<SignedUpUser> {
    const user = await signUp(t.http);
    await authorization.setUserRoles(user.id, [officer]);
    return user;
  }

  /** Sets up and confirms TOTP on the session of `accessToken`; the secret. */
  async function enrol(user: SignedUpUser, accessToken: string): Promise<string> {
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(accessToken))
      .send({ code: await previousStepCode(secret) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    return secret;
  }

  /** Routes a full session reaches and a session limited to enrolment does not. */
  const BEYOND_ENROLMENT = ['/admin/users', '/auth/sessions', '/auth/events'];
  const beyondEnrolment = (token: string) =>
    Promise.all(BEYOND_ENROLMENT.map((path) => t.http.get(path).set(bearer(token))));

  it('an officer without a second factor reaches only the enrolment routes until enrolled, then everything', async () => {
    const user = await officerAccount();
    const { accessToken, refreshToken } = await logIn(t.http, user);
    expect(claimsOf(accessToken)).toMatchObject({ mfa_enrolment_required: true, amr: ['pwd'] });
    const [session] = await t.dataSource.query<{ mfa_enrolment_required: boolean }[]>(
      'SELECT mfa_enrolment_required FROM sessions WHERE id = $1',
      [claimsOf(accessToken).sid],
    );
    expect(session!.mfa_enrolment_required).toBe(true);

    const logoutAll = await t.http.post('/auth/logout-all').set(bearer(accessToken));
    for (const [index, refused] of [...(await beyondEnrolment(accessToken)), logoutAll].entries()) {
      expect(refused.status, BEYOND_ENROLMENT[index] ?? 'logout-all').toBe(403);
      expect(refused.body).toMatchObject({
        type: `${PROBLEM}mfa-enrolment-required`,
        detail: expect.stringContaining('POST /auth/mfa/totp/setup'),
      });
    }
    const me = await t.http.get('/auth/me').set(bearer(accessToken));
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual([officer]);
    expect((await t.http.get('/auth/mfa').set(bearer(accessToken))).status).toBe(200);
    // A refresh before enrolling keeps the limit.
    const stillLimited = await t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
    expect(stillLimited.status).toBe(200);
    expect(claimsOf(stillLimited.body.access_token as string).mfa_enrolment_required).toBe(true);

    await enrol(user, stillLimited.body.access_token as string);
    // The tokens issued before keep their claim; the next refresh answers full ones.
    expect((await t.http.get('/auth/sessions').set(bearer(accessToken))).status).toBe(403);
    const full = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: stillLimited.body.refresh_token });
    expect(full.status).toBe(200);
    const fullToken = full.body.access_token as string;
    const claims = claimsOf(fullToken);
    expect(claims.mfa_enrolment_required).toBeUndefined();
    expect(claims.amr).toEqual(['pwd', 'otp']);
    for (const [index, allowed] of (await beyondEnrolment(fullToken)).entries()) {
      expect(allowed.status, `${BEYOND_ENROLMENT[index]}: ${JSON.stringify(allowed.body)}`).toBe(
        200,
      );
    }
    // The next login asks for the code, and opens a full session.
    const next = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    expect(next.status).toBe(403);
    expect(next.body.type).toBe(`${PROBLEM}mfa-required`);
  });

  it('leaves an officer who already has a second factor as before', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    const secret = await enrol(user, accessToken);
    await authorization.setUserRoles(user.id, [officer]);
    const step = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    expect(step.status).toBe(403);
    const done = await t.http
      .post('/auth/mfa/verify')
      .send({ mfa_token: step.body.mfa_token, code: totpStepsAway(secret, 0) });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const token = done.body.access_token as string;
    expect(claimsOf(token).mfa_enrolment_required).toBeUndefined();
    expect((await t.http.get('/admin/users').set(bearer(token))).status).toBe(200);
  });

  it('a role granted later applies from the next login; the sessions open already are left alone', async () => {
    const user = await signUp(t.http);
    const before = await logIn(t.http, user);
    expect(claimsOf(before.accessToken).mfa_enrolment_required).toBeUndefined();
    await authorization.setUserRoles(user.id, [officer]);
    expect((await t.http.get('/auth/sessions').set(bearer(before.accessToken))).status).toBe(200);
    const after = await logIn(t.http, user);
    expect(claimsOf(after.accessToken).mfa_enrolment_required).toBe(true);
    const refused = await t.http.get('/auth/sessions').set(bearer(after.accessToken));
    expect(refused.body.type).toBe(`${PROBLEM}mfa-enrolment-required`);
  });

  it('an account without a required role logs in to a full session', async () => {
    const user = await signUp(t.http);
    const { accessToken } = await logIn(t.http, user);
    expect(claimsOf(accessToken).mfa_enrolment_required).toBeUndefined();
    expect((await t.http.get('/auth/sessions').set(bearer(accessToken))).status).toBe(200);
  });

  it('a limited session can still log out', async () => {
    const user = await officerAccount();
    const { accessToken, refreshToken } = await logIn(t.http, user);
    expect((await t.http.post('/auth/logout').set(bearer(accessToken))).status).toBe(200);
    expect((await t.http.post('/auth/refresh').send({ refresh_token: refreshToken })).status).toBe(
      401,
    );
  });
});
