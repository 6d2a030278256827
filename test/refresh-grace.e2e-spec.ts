/**
 * Issue #23: a refresh answered but not received (two tabs at once, a lost response) does not
 * end the session. Within REFRESH_REUSE_GRACE_SECONDS, while the successor is unused, the same
 * token gets the same successor; past the grace, or once the successor was used, it is reuse.
 */
import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { IsNull } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { createTestApp, type TestApp } from './create-test-app.js';
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
  return { refresh, me, session, liveTokens, eventTypes };
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
      `UPDATE refresh_tokens SET rotated_at = now() - interval '11 seconds' WHERE token_hash = $1`,
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
  });
});

describe('the grace off (REFRESH_REUSE_GRACE_SECONDS=0): every replay is reuse, as before', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '0' });
  });
  afterAll(() => t.close());

  it('ends the session for an immediate replay', async () => {
    const { refresh, eventTypes } = on(t);
    const user = await signUpAndLogIn(t.http);
    const rotated = await refresh(user.refreshToken);
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
