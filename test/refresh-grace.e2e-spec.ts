/**
 * Issue #23: a refresh answered but not received (two tabs at once, a lost response) does not
 * end the session. Within REFRESH_REUSE_GRACE_SECONDS, while the successor is unused, the same
 * token gets the same successor; past the grace, or once the successor was used, it is reuse.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Response } from 'supertest';
import { IsNull } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { SessionsService } from '../src/sessions/sessions.service.js';
import { User } from '../src/users/entities/user.entity.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './create-test-app.js';
import { signUpOperator } from './factories/admin.factory.js';
import { logIn, signUpAndLogIn } from './factories/user.factory.js';
import { claimsOf } from './jwt-claims.js';

const PROBLEMS = 'https://whazz.audio/problems';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The helpers every suite below uses against its own app. */
function on(t: TestApp) {
  const refresh = (refreshToken: string) =>
    t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
  const me = (accessToken: string) =>
    t.http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`);
  const session = (accessToken: string) =>
    t.dataSource
      .getRepository(Session)
      .findOneByOrFail({ id: claimsOf(accessToken).sid as string });
  const liveTokens = (accessToken: string) =>
    t.dataSource.getRepository(RefreshToken).countBy({
      sessionId: claimsOf(accessToken).sid as string,
      rotatedAt: IsNull(),
    });
  const eventTypes = async (accessToken: string) => {
    const response = await t.http.get('/auth/events').set('Authorization', `Bearer ${accessToken}`);
    return (response.body as { events: { type: string }[] }).events.map(({ type }) => type);
  };
  /** The session's successor salts still held, by the order its tokens were issued. */
  const salts = async (accessToken: string) =>
    (
      await t.dataSource.query<{ salt: Buffer | null }[]>(
        `SELECT successor_salt AS salt FROM refresh_tokens WHERE session_id = $1 ORDER BY created_at, rotated_at NULLS LAST`,
        [claimsOf(accessToken).sid],
      )
    ).map(({ salt }) => salt);
  return { refresh, me, session, liveTokens, eventTypes, salts };
}

/** Reuse: 401 …/refresh-token-reused, the session revoked for it, every token of it dead. */
async function expectSessionEndedByReuse(
  t: TestApp,
  replay: Response,
  newest: { access_token: string; refresh_token: string },
): Promise<void> {
  const { refresh, me, session } = on(t);
  expect(replay.status).toBe(401);
  expect(replay.body.type).toBe(`${PROBLEMS}/refresh-token-reused`);
  expect((await session(newest.access_token)).revokedReason).toBe('refresh_token_reuse');
  expect((await me(newest.access_token)).status).toBe(401);
  expect((await refresh(newest.refresh_token)).status).toBe(401);
}

describe('the refresh reuse grace (default 10 s)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers two raw concurrent refreshes of one token with the same successor', async () => {
    const { refresh, me, liveTokens } = on(t);
    const user = await signUpAndLogIn(t.http);
    const [first, second] = await Promise.all([
      refresh(user.refreshToken),
      refresh(user.refreshToken),
    ]);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.refresh_token).toBe(second.body.refresh_token);
    expect(first.body.refresh_token).not.toBe(user.refreshToken);
    // Fresh access tokens, of the same session and sign-in.
    const login = claimsOf(user.accessToken);
    const [a, b] = [first, second].map(({ body }) => claimsOf(body.access_token as string));
    expect(a!.jti).not.toBe(b!.jti);
    for (const claims of [a, b]) {
      expect(claims).toMatchObject({ sid: login.sid, amr: login.amr, auth_time: login.auth_time });
    }
    expect((await me(first.body.access_token as string)).status).toBe(200);
    expect((await me(second.body.access_token as string)).status).toBe(200);
    expect(await liveTokens(user.accessToken)).toBe(1);
    // The shared successor rotates as any token does.
    expect((await refresh(first.body.refresh_token as string)).status).toBe(200);
  });

  it('answers 10 parallel refreshes with one successor and keeps one live refresh token', async () => {
    const { refresh, liveTokens, session } = on(t);
    const user = await signUpAndLogIn(t.http);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(user.refreshToken)),
    );

    expect(responses.map(({ status }) => status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map(({ body }) => body.refresh_token as string)).size).toBe(1);
    expect(new Set(responses.map(({ body }) => body.access_token as string)).size).toBe(10);
    expect(await liveTokens(user.accessToken)).toBe(1);
    expect((await session(user.accessToken)).revokedAt).toBeNull();
  });

  it('records no security event for a grace replay, and logs one line for operators', async () => {
    const { refresh, eventTypes } = on(t);
    const user = await signUpAndLogIn(t.http);
    await refresh(user.refreshToken);
    const replay = await refresh(user.refreshToken);
    expect(replay.status).toBe(200);

    expect(await eventTypes(replay.body.access_token as string)).not.toContain(
      'refresh_token_reused',
    );
    const line = t.logs
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find(
        (entry) =>
          entry.event === 'refresh_token_grace_replay' &&
          entry.session_id === claimsOf(user.accessToken).sid,
      );
    expect(line?.request_id).toBe(replay.headers['x-request-id']);
  });

  it('ends the session for a replay after the successor was used', async () => {
    const { refresh, eventTypes } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
    const next = await refresh(rotated.body.refresh_token as string);
    expect(next.status).toBe(200);

    const replay = await refresh(user.refreshToken);
    await expectSessionEndedByReuse(t, replay, next.body);
    // Theft, as before the grace: the user is told.
    const reader = await logIn(t.http, user);
    expect(await eventTypes(reader.accessToken)).toContain('refresh_token_reused');
  });

  it('ends the session for a replay past the grace (database clock moved back)', async () => {
    const { refresh } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
    await t.dataSource.query(
      `UPDATE refresh_tokens SET rotated_at = statement_timestamp() - interval '11 seconds' WHERE token_hash = $1`,
      [sha256(user.refreshToken)],
    );

    await expectSessionEndedByReuse(t, await refresh(user.refreshToken), rotated.body);
  });

  it('yields no usable token from the database: a stored value is no refresh token', async () => {
    const { refresh, session } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
    const rows = await t.dataSource
      .getRepository(RefreshToken)
      .findBy({ sessionId: claimsOf(user.accessToken).sid as string });
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(rotated.body.refresh_token as string);
    for (const { tokenHash } of rows) {
      for (const presented of [tokenHash, Buffer.from(tokenHash, 'hex').toString('base64url')]) {
        const answer = await refresh(presented);
        expect(answer.status).toBe(401);
        expect(answer.body.type).toBe(`${PROBLEMS}/invalid-refresh-token`);
      }
    }
    expect((await session(user.accessToken)).revokedAt).toBeNull();
  });
});

describe('what the grace never forgives (default 10 s)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers a replay after logout 401 invalid-refresh-token, and revokes nothing again', async () => {
    const { refresh, session, eventTypes } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
    const logout = await t.http
      .post('/auth/logout')
      .set('Authorization', `Bearer ${rotated.body.access_token as string}`);
    expect(logout.status).toBeLessThan(300);
    const ended = await session(user.accessToken);
    expect(ended.revokedReason).toBe('logout');

    const replay = await refresh(user.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.type).toBe(`${PROBLEMS}/invalid-refresh-token`);
    const after = await session(user.accessToken);
    expect(after.revokedReason).toBe('logout');
    expect(after.revokedAt).toEqual(ended.revokedAt);
    const reader = await logIn(t.http, user);
    expect(await eventTypes(reader.accessToken)).not.toContain('refresh_token_reused');
  });

  it('answers a replay after the account was disabled 403 account-disabled', async () => {
    const { refresh, session } = on(t);
    const user = await signUpAndLogIn(t.http);
    await refresh(user.refreshToken);
    await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: false });

    const replay = await refresh(user.refreshToken);
    expect(replay.status).toBe(403);
    expect(replay.body.type).toBe(`${PROBLEMS}/account-disabled`);
    expect((await session(user.accessToken)).revokedAt).toBeNull();
  });

  it("keeps an impersonated session's act on a replay, and never extends it past its end", async () => {
    const { refresh, session } = on(t);
    const operator = await signUpOperator(t.http, t.dataSource, ['users:impersonate']);
    const user = await signUpAndLogIn(t.http);
    const started = await t.http
      .post(`/admin/users/${user.id}/impersonate`)
      .set('Authorization', `Bearer ${operator.accessToken}`)
      .send({ reason: 'Ticket 4711: the grace replays an impersonated session' });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const accessToken = started.body.access_token as string;
    const { expiresAt } = await session(accessToken);

    const rotated = await refresh(started.body.refresh_token as string);
    const replay = await refresh(started.body.refresh_token as string);
    expect([rotated.status, replay.status]).toEqual([200, 200]);
    expect(replay.body.refresh_token).toBe(rotated.body.refresh_token);
    const claims = claimsOf(replay.body.access_token as string);
    expect(claims).toMatchObject({ sub: user.id, act: { sub: operator.id } });
    expect(claims.exp as number).toBeLessThanOrEqual(Math.ceil(expiresAt.getTime() / 1000));
    expect((await session(accessToken)).expiresAt).toEqual(expiresAt);
  });

  it('gives a thief who presents first the successor, and the owner retrying the same one', async () => {
    const { refresh, me, liveTokens } = on(t);
    const user = await signUpAndLogIn(t.http);
    // The owner's refresh is answered but the answer lost; the thief replays the copy first.
    const lost = await refresh(user.refreshToken);
    const thief = await refresh(user.refreshToken);
    const retry = await refresh(user.refreshToken);

    // Documented exposure (docs/security.md): within the grace both hold the same token.
    expect([lost.status, thief.status, retry.status]).toEqual([200, 200, 200]);
    expect(thief.body.refresh_token).toBe(lost.body.refresh_token);
    expect(retry.body.refresh_token).toBe(lost.body.refresh_token);
    expect((await me(retry.body.access_token as string)).status).toBe(200);
    expect(await liveTokens(user.accessToken)).toBe(1);
  });

  it('lets nothing in the database lead an old token to the live one', async () => {
    const { refresh, salts, session } = on(t);
    const user = await signUpAndLogIn(t.http);
    const tokens = [user.refreshToken];
    for (let rotation = 0; rotation < 5; rotation += 1) {
      const rotated = await refresh(tokens.at(-1)!);
      expect(rotated.status).toBe(200);
      tokens.push(rotated.body.refresh_token as string);
    }
    const live = tokens.pop()!;
    // Every used successor's salt is gone; only the live token's, within its grace, is held.
    expect((await salts(user.accessToken)).map((salt) => salt !== null)).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
    ]);

    const sessionId = claimsOf(user.accessToken).sid as string;
    await t.dataSource.query(
      `UPDATE refresh_tokens SET rotated_at = rotated_at - interval '1 day' WHERE session_id = $1 AND rotated_at IS NOT NULL`,
      [sessionId],
    );
    await t.app.get(SessionsService).pruneEnded();
    expect(await salts(user.accessToken)).toEqual(Array(6).fill(null));

    // Everything the database holds, and the old design's key, with every old token: no live one.
    const everySalt = (
      await t.dataSource.query<{ salt: Buffer }[]>(
        `SELECT successor_salt AS salt FROM refresh_tokens WHERE successor_salt IS NOT NULL`,
      )
    ).map(({ salt }) => salt);
    const keys = [...everySalt, Buffer.from(TEST_JWT_SECRET, 'utf8')];
    for (const old of tokens) {
      for (const key of keys) {
        expect(createHmac('sha256', key).update(old).digest('base64url')).not.toBe(live);
      }
    }

    // Presented, the newest old token is reuse and ends the session; the others then are dead.
    await expectSessionEndedByReuse(t, await refresh(tokens.at(-1)!), {
      access_token: user.accessToken,
      refresh_token: live,
    });
    for (const old of tokens.slice(0, -1)) {
      const answer = await refresh(old);
      expect(answer.status).toBe(401);
      expect(answer.body.type).toBe(`${PROBLEMS}/invalid-refresh-token`);
    }
    expect((await session(user.accessToken)).revokedReason).toBe('refresh_token_reuse');
  });
});

describe('a tiny grace (1 s), really waited out', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '1' });
  });
  afterAll(() => t.close());

  it('forgives a replay within it, and ends the session for one after it', async () => {
    const { refresh } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
    const soon = await refresh(user.refreshToken);
    expect(soon.status).toBe(200);
    expect(soon.body.refresh_token).toBe(rotated.body.refresh_token);

    await sleep(1500);
    await expectSessionEndedByReuse(t, await refresh(user.refreshToken), soon.body);
    // The replay past the grace forgot the salt at once, not at the next sweep.
    expect(await on(t).salts(user.accessToken)).toEqual([null, null]);
  });
});

describe('the grace off (REFRESH_REUSE_GRACE_SECONDS=0): every replay is reuse, as before', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '0' });
  });
  afterAll(() => t.close());

  it('ends the session for an immediate replay', async () => {
    const { refresh, eventTypes, salts } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
    expect(await salts(user.accessToken)).toEqual([null, null]);
    await expectSessionEndedByReuse(t, await refresh(user.refreshToken), rotated.body);
    const reader = await logIn(t.http, user);
    expect(await eventTypes(reader.accessToken)).toContain('refresh_token_reused');
  });

  it('never mints two live pairs from concurrent refreshes of one token', async () => {
    const { refresh, me, session } = on(t);
    const user = await signUpAndLogIn(t.http);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => refresh(user.refreshToken)),
    );
    const succeeded = responses.filter((response) => response.status === 200);

    // The first to lock the session rotates; every later one presents a rotated token,
    // which is reuse: the session ends, the winner's new pair with it. No live pair is left.
    expect(succeeded).toHaveLength(1);
    expect(responses.filter((response) => response.status === 401)).toHaveLength(7);
    expect((await refresh(succeeded[0]!.body.refresh_token as string)).status).toBe(401);
    expect((await me(succeeded[0]!.body.access_token as string)).status).toBe(401);
    expect((await session(user.accessToken)).revokedAt).not.toBeNull();
  });
});
