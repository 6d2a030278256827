import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicesService } from '../src/devices/devices.service.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUp, type SignedUpUser } from './factories/user.factory.js';
import { totpStepsAway, previousStepCode } from './totp-reference.js';

/**
 * Known devices (issue #20). A tiny budget and a long first wait: once strangers spend them,
 * every attempt at the account's name stays refused for the rest of the suite.
 */
const TINY_BUDGETS = {
  LOGIN_BACKOFF_AFTER_FAILURES: '3',
  LOGIN_BACKOFF_INITIAL_SECONDS: '300',
  LOGIN_BACKOFF_MAX_SECONDS: '900',
  RATE_LIMIT_LOGIN_ACCOUNT: '5/1m',
};
const BACKOFF = 'https://whazz.audio/problems/login-backoff';
const RATE_LIMITED = 'https://whazz.audio/problems/rate-limited';

/** The parts of a body that must not depend on the device token presented. */
const comparable = ({ request_id: _id, ...rest }: Record<string, unknown>) => rest;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('known devices (issue #20)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(TINY_BUDGETS);
  });
  afterAll(async () => {
    await t.close();
  });

  /** As a client that keeps device tokens: it sends its own, or asks for one. */
  const login = (user: SignedUpUser, password = user.password, deviceToken?: string) =>
    t.http.post('/auth/login').send({
      username_or_email: user.username,
      password,
      ...(deviceToken ? { device_token: deviceToken } : { request_device_token: true }),
    });
  const issued: string[] = [];
  const loggedIn = async (user: SignedUpUser, deviceToken?: string) => {
    const response = await login(user, user.password, deviceToken);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    issued.push(response.body.device_token as string);
    return {
      accessToken: response.body.access_token as string,
      refreshToken: response.body.refresh_token as string,
      deviceToken: response.body.device_token as string,
    };
  };
  const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });
  const devicesOf = async (accessToken: string) => {
    const listed = await t.http.get('/auth/devices').set(bearer(accessToken));
    expect(listed.status).toBe(200);
    return listed.body as { id: string; session_ids: string[] }[];
  };
  /** Strangers from elsewhere spend the account's budget: backoff, then the rate limit. */
  const spendAccountBudget = async (user: SignedUpUser) => {
    const statuses: number[] = [];
    for (let n = 0; n < 7; n += 1) statuses.push((await login(user, `guess ${n}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429]);
    const refused = await login(user);
    expect(refused.status).toBe(429);
    return refused;
  };

  it('answers a device token with every login, stores only its hash and keeps it for that device', async () => {
    const user = await signUp(t.http);
    const first = await loggedIn(user);
    expect(first.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const again = await loggedIn(user, first.deviceToken);
    expect(again.deviceToken).toBe(first.deviceToken);
    const rows = await t.dataSource.query<{ id: string; token_hash: string }[]>(
      `SELECT id, token_hash FROM known_devices WHERE user_id = $1`,
      [user.id],
    );
    expect(rows).toEqual([{ id: expect.any(String), token_hash: sha256(first.deviceToken) }]);
    const sessions = await t.http.get('/auth/sessions').set(bearer(again.accessToken));
    const [device] = await devicesOf(again.accessToken);
    expect(device!.id).toBe(rows[0]!.id);
    expect(device!.session_ids.sort()).toEqual(
      sessions.body.map((session: { id: string }) => session.id).sort(),
    );
    const dump = JSON.stringify(
      await t.dataSource.query(`SELECT * FROM known_devices WHERE user_id = $1`, [user.id]),
    );
    expect(dump).not.toContain(first.deviceToken);
  });

  it('answers a client that does not ask the FastAPI token pair alone, and records no device', async () => {
    const user = await signUp(t.http);
    const plain = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('device_token');
    expect(await devicesOf(plain.body.access_token as string)).toEqual([]);
  });

  it('lets the owner in from a known device while strangers keep the account’s backoff and budget spent', async () => {
    const owner = await signUp(t.http);
    const { deviceToken } = await loggedIn(owner);
    const refused = await spendAccountBudget(owner);
    expect(refused.body.type).toBe(RATE_LIMITED);

    const fromKnownDevice = await loggedIn(owner, deviceToken);
    expect(fromKnownDevice.deviceToken).toBe(deviceToken);
    // The owner's login hands the strangers no fresh budget.
    expect((await login(owner, 'one more guess')).status).toBe(429);
    expect((await login(owner)).status).toBe(429);
  });

  /** Turns TOTP on for the signed-in user; the secret. */
  const enrol = async (user: SignedUpUser, accessToken: string) => {
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer(accessToken))
      .send({ password: user.password });
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer(accessToken))
      .send({ code: await previousStepCode(secret) });
    expect(confirmed.status).toBe(200);
    return { secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
  };

  it('lets the owner of a second factor in from a known device, code and all, while strangers keep the name’s backoff running', async () => {
    const owner = await signUp(t.http);
    const { accessToken, deviceToken } = await loggedIn(owner);
    const { secret } = await enrol(owner, accessToken);
    await spendAccountBudget(owner);

    const step = await login(owner, owner.password, deviceToken);
    expect(step.status).toBe(403);
    expect(step.body.type).toBe('https://whazz.audio/problems/mfa-required');
    const done = await t.http.post('/auth/mfa/verify').send({
      mfa_token: step.body.mfa_token,
      code: totpStepsAway(secret, 0),
      device_token: deviceToken,
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.device_token).toBe(deviceToken);
    // The strangers are still held back.
    expect((await login(owner)).status).toBe(429);
  });

  it('lets step-up and the second factor’s own routes through while strangers keep the name’s backoff running', async () => {
    const owner = await signUp(t.http);
    const { accessToken } = await loggedIn(owner);
    const { secret, recoveryCodes } = await enrol(owner, accessToken);
    await spendAccountBudget(owner);

    // A password-only session: the change needs a fresh code, and the code is checked.
    const changed = await t.http
      .post('/auth/change-email')
      .set(bearer(accessToken))
      .set('X-MFA-Code', totpStepsAway(secret, 0))
      .send({ new_email: `new.${owner.email}`, password: owner.password });
    expect(changed.status, JSON.stringify(changed.body)).toBe(202);
    const regenerated = await t.http
      .post('/auth/mfa/recovery-codes/regenerate')
      .set(bearer(accessToken))
      .send({ password: owner.password, code: totpStepsAway(secret, 1) });
    expect(regenerated.status, JSON.stringify(regenerated.body)).toBe(200);
    const disabled = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer(accessToken))
      .send({
        password: owner.password,
        recovery_code: (regenerated.body.recovery_codes as string[])[0],
      });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expect(recoveryCodes).toHaveLength(10);
  });

  it('counts wrong passwords from a known device against that device alone', async () => {
    const owner = await signUp(t.http);
    const laptop = (await loggedIn(owner)).deviceToken;
    const phone = (await loggedIn(owner)).deviceToken;
    for (let n = 0; n < 3; n += 1) {
      expect((await login(owner, `typo ${n}`, laptop)).status).toBe(401);
    }
    const held = await login(owner, owner.password, laptop);
    expect(held.status).toBe(429);
    expect(held.body.type).toBe(BACKOFF);
    // Neither the owner's other device nor the account's name is held back by it.
    await loggedIn(owner, phone);
    await loggedIn(owner);
  });

  it('gives another account’s device token no exemption, and the same answer as no token', async () => {
    const [victim, attacker] = await Promise.all([signUp(t.http), signUp(t.http)]);
    const attackersToken = (await loggedIn(attacker)).deviceToken;
    await spendAccountBudget(victim);

    const [withNone, withForeign, withUnknown] = [
      await login(victim),
      await login(victim, victim.password, attackersToken),
      await login(victim, victim.password, randomBytes(32).toString('base64url')),
    ];
    for (const response of [withNone, withForeign, withUnknown]) {
      expect(response.status).toBe(429);
      expect(comparable(response.body)).toEqual(comparable(withNone.body));
    }

    // Where the victim is not held back, a foreign token earns a new device, not the attacker's.
    const other = await signUp(t.http);
    const fresh = await loggedIn(other, attackersToken);
    expect(fresh.deviceToken).not.toBe(attackersToken);
    const owners = await t.dataSource.query<{ user_id: string }[]>(
      `SELECT user_id FROM known_devices WHERE token_hash = $1`,
      [sha256(attackersToken)],
    );
    expect(owners).toEqual([{ user_id: attacker.id }]);
  });

  it('refuses a device token of the wrong shape with 422', async () => {
    const user = await signUp(t.http);
    for (const device_token of ['short', 42, 'x'.repeat(43).replace(/^x/, '/')]) {
      const response = await t.http
        .post('/auth/login')
        .send({ username_or_email: user.username, password: user.password, device_token });
      expect(response.status, String(device_token)).toBe(422);
    }
  });

  it('lists the devices, and forgetting one ends its sessions and its exemption', async () => {
    const owner = await signUp(t.http);
    const laptop = await loggedIn(owner);
    const phone = await loggedIn(owner);
    const listed = await devicesOf(phone.accessToken);
    expect(listed).toHaveLength(2);
    const [{ id: laptopId }] = await t.dataSource.query<[{ id: string }]>(
      `SELECT id FROM known_devices WHERE token_hash = $1`,
      [sha256(laptop.deviceToken)],
    );
    expect(listed.map(({ id }) => id)).toContain(laptopId);

    const revoked = await t.http.delete(`/auth/devices/${laptopId}`).set(bearer(phone.accessToken));
    expect(revoked.status).toBe(204);
    expect((await t.http.get('/auth/me').set(bearer(laptop.accessToken))).status).toBe(401);
    const refresh = await t.http.post('/auth/refresh').send({ refresh_token: laptop.refreshToken });
    expect(refresh.status).toBe(401);
    expect((await t.http.get('/auth/me').set(bearer(phone.accessToken))).status).toBe(200);
    expect(await devicesOf(phone.accessToken)).toHaveLength(1);
    expect(
      (await t.http.delete(`/auth/devices/${laptopId}`).set(bearer(phone.accessToken))).status,
    ).toBe(404);
    // Its token now counts as none: the next login from it is a new device.
    expect((await loggedIn(owner, laptop.deviceToken)).deviceToken).not.toBe(laptop.deviceToken);

    const events = await t.http.get('/auth/events?limit=100').set(bearer(phone.accessToken));
    expect(events.body.events.map((e: { type: string }) => e.type)).toContain('device_revoked');
  });

  it('answers 404 for another account’s device, and leaves it alone', async () => {
    const [owner, stranger] = await Promise.all([signUp(t.http), signUp(t.http)]);
    const ownerSignedIn = await loggedIn(owner);
    const [device] = await devicesOf(ownerSignedIn.accessToken);
    const id = device!.id;
    const { accessToken } = await loggedIn(stranger);
    expect((await t.http.delete(`/auth/devices/${id}`).set(bearer(accessToken))).status).toBe(404);
    expect((await t.http.get('/auth/me').set(bearer(ownerSignedIn.accessToken))).status).toBe(200);
  });

  it('forgets every device at logout-all', async () => {
    const owner = await signUp(t.http);
    const old = await loggedIn(owner);
    await loggedIn(owner);
    const logoutAll = await t.http.post('/auth/logout-all').set(bearer(old.accessToken));
    expect(logoutAll.status).toBe(200);
    const after = await loggedIn(owner, old.deviceToken);
    expect(after.deviceToken).not.toBe(old.deviceToken);
    expect(await devicesOf(after.accessToken)).toHaveLength(1);
  });

  it('forgets the other devices at a password change, and keeps the one that changed it', async () => {
    const owner = await signUp(t.http);
    const here = await loggedIn(owner);
    const elsewhere = await loggedIn(owner);
    const changed = await t.http
      .post('/auth/change-password')
      .set(bearer(here.accessToken))
      .send({ current_password: owner.password, new_password: `${owner.password} renewed` });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const renewed = { ...owner, password: `${owner.password} renewed` };
    expect((await loggedIn(renewed, here.deviceToken)).deviceToken).toBe(here.deviceToken);
    expect((await loggedIn(renewed, elsewhere.deviceToken)).deviceToken).not.toBe(
      elsewhere.deviceToken,
    );
  });

  it('remembers a device for the second factor only for its own account, and records it', async () => {
    const [owner, other] = await Promise.all([signUp(t.http), signUp(t.http)]);
    const { deviceToken, accessToken } = await loggedIn(owner);
    const devices = t.app.get(DevicesService);
    expect(await devices.isRemembered(owner.id, deviceToken)).toBe(false);
    expect(await devices.remember(other.id, deviceToken)).toBe(false);
    expect(await devices.remember(owner.id, deviceToken)).toBe(true);
    expect(await devices.isRemembered(owner.id, deviceToken)).toBe(true);
    expect(await devices.isRemembered(other.id, deviceToken)).toBe(false);
    const [listed] = await devicesOf(accessToken);
    expect(listed).toMatchObject({ remembered_until: expect.any(String) });
    const events = await t.http.get('/auth/events?limit=100').set(bearer(accessToken));
    expect(events.body.events.map((e: { type: string }) => e.type)).toContain('device_remembered');
  });

  it('never logs a device token', () => {
    expect(issued.length).toBeGreaterThan(10);
    const logged = t.logs.join('\n');
    for (const token of issued) expect(logged).not.toContain(token);
  });
});
