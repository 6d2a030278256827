import { createHmac, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { IsNull } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity.js';
import { Session } from '../src/sessions/entities/session.entity.js';
import { User } from '../src/users/entities/user.entity.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './create-test-app.js';
import { logIn, signUpAndLogIn, type LoggedInUser } from './factories/user.factory.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with any header and claims, signed HS256 with `secret` (or unsigned for alg none). */
function craftToken(header: object, claims: object, secret = TEST_JWT_SECRET): string {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  if ((header as { alg?: string }).alg === 'none') return `${unsigned}.`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('access tokens, refresh tokens and sessions', () => {
  let t: TestApp;
  let jwt: JwtService;
  beforeAll(async () => {
    // HS256 (issue #22's transition setting): these cases sign tokens of their own with the
    // secret; test/signing-keys.e2e-spec.ts and the battery cover the keys.
    t = await createTestApp({ JWT_SIGNING_ALGORITHM: 'HS256' });
    jwt = new JwtService({ secret: TEST_JWT_SECRET });
  });
  afterAll(() => t.close());

  const me = (accessToken: string) =>
    t.http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`);
  const refresh = (refreshToken: string) =>
    t.http.post('/auth/refresh').send({ refresh_token: refreshToken });
  const validClaims = (user: LoggedInUser) => {
    const payload = jwt.decode<Record<string, unknown>>(user.accessToken);
    return { ...payload, jti: randomUUID() };
  };

  describe('GET /auth/me', () => {
    it('returns the public user for a valid access token, with the registered claims set', async () => {
      const user = await signUpAndLogIn(t.http);
      const response = await me(user.accessToken);

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: user.id,
        email: user.email,
        username: user.username,
      });
      const claims = jwt.decode<Record<string, unknown>>(user.accessToken);
      expect(Object.keys(claims).sort()).toEqual([
        'amr',
        'aud',
        'auth_time',
        'exp',
        'iat',
        'iss',
        'jti',
        'roles',
        'sid',
        'sub',
      ]);
      expect(claims).toMatchObject({ sub: user.id, iss: 'whazz-audio-auth', aud: 'whazz-audio' });
      // RFC 8176 / OIDC Core (issue #20): a password login, at its issue time.
      expect(claims.amr).toEqual(['pwd']);
      expect((claims.iat as number) - (claims.auth_time as number)).toBeGreaterThanOrEqual(0);
      expect((claims.iat as number) - (claims.auth_time as number)).toBeLessThanOrEqual(1);
      expect((claims.exp as number) - (claims.iat as number)).toBe(900);
    });

    it('answers a request without a token with 401 and a bare Bearer challenge', async () => {
      const response = await t.http.get('/auth/me');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="whazz-audio"');
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it.each<[string, (user: LoggedInUser) => string]>([
      ['a malformed token', () => 'not.a.jwt'],
      [
        'an expired token',
        (u) =>
          craftToken({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(u), iat: 1000, exp: 2000 }),
      ],
      [
        'a not-yet-valid token',
        (u) => craftToken({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(u), nbf: 4102444800 }),
      ],
      [
        'a token signed with another secret',
        (u) => craftToken({ alg: 'HS256' }, validClaims(u), 'another-secret-another-secret-1234'),
      ],
      ['an alg:none token', (u) => craftToken({ alg: 'none', typ: 'JWT' }, validClaims(u))],
      [
        'an HS512 token with the right secret',
        (u) => {
          const unsigned = `${b64({ alg: 'HS512' })}.${b64(validClaims(u))}`;
          return `${unsigned}.${createHmac('sha512', TEST_JWT_SECRET).update(unsigned).digest('base64url')}`;
        },
      ],
      [
        'a token for another issuer',
        (u) => craftToken({ alg: 'HS256' }, { ...validClaims(u), iss: 'someone-else' }),
      ],
      [
        'a token for another audience',
        (u) => craftToken({ alg: 'HS256' }, { ...validClaims(u), aud: 'another-app' }),
      ],
      [
        'a tampered payload',
        (u) => {
          const [header, , signature] = u.accessToken.split('.');
          return `${header}.${b64({ ...validClaims(u), sub: randomUUID() })}.${signature}`;
        },
      ],
      [
        'a token naming a session that does not exist',
        (u) => craftToken({ alg: 'HS256' }, { ...validClaims(u), sid: randomUUID() }),
      ],
      [
        'a token without a session id',
        (u) => craftToken({ alg: 'HS256' }, { ...validClaims(u), sid: undefined }),
      ],
      ['a refresh token used as a bearer token', (u) => u.refreshToken],
    ])('refuses %s with 401 invalid_token', async (_, makeToken) => {
      const user = await signUpAndLogIn(t.http);
      const response = await me(makeToken(user));

      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="whazz-audio", error="invalid_token"',
      );
      expect(response.body.status).toBe(401);
    });

    it('treats another scheme (Basic) as no token at all: a bare Bearer challenge', async () => {
      const response = await t.http.get('/auth/me').set('Authorization', 'Basic dXNlcjpwYXNz');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="whazz-audio"');
    });

    it('says when the token has expired', async () => {
      const user = await signUpAndLogIn(t.http);
      const expired = craftToken({ alg: 'HS256' }, { ...validClaims(user), iat: 1000, exp: 2000 });
      const response = await me(expired);
      expect(response.body.detail).toBe('The access token has expired.');
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="whazz-audio", error="invalid_token"',
      );
    });

    // The guard reuses a token's earlier verification (issue #3); that must end with the token.
    it('refuses a token that worked a moment ago once its exp passes', async () => {
      const user = await signUpAndLogIn(t.http);
      const exp = Math.floor(Date.now() / 1000) + 2;
      const shortLived = craftToken({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(user), exp });
      expect((await me(shortLived)).status).toBe(200);
      expect((await me(shortLived)).status).toBe(200);

      await new Promise((resolve) => setTimeout(resolve, exp * 1000 + 50 - Date.now()));
      const response = await me(shortLived);
      expect(response.status).toBe(401);
      expect(response.body.detail).toBe('The access token has expired.');
    });

    it('refuses a token that worked a moment ago once its session ends, here or from another', async () => {
      const user = await signUpAndLogIn(t.http);
      const otherDevice = await logIn(t.http, user);
      expect((await me(user.accessToken)).status).toBe(200);
      expect((await me(otherDevice.accessToken)).status).toBe(200);

      await t.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
      expect((await me(user.accessToken)).status).toBe(401);
      expect((await me(otherDevice.accessToken)).status).toBe(200);

      const third = await logIn(t.http, user);
      await t.http.post('/auth/logout-all').set('Authorization', `Bearer ${third.accessToken}`);
      expect((await me(otherDevice.accessToken)).status).toBe(401);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: returns a new pair, the old refresh token dies, the session slides forward', async () => {
      const user = await signUpAndLogIn(t.http);
      const first = await refresh(user.refreshToken);

      expect(first.status).toBe(200);
      expect(first.body.refresh_token).not.toBe(user.refreshToken);
      expect(first.body.token_type).toBe('bearer');
      expect((await me(first.body.access_token)).status).toBe(200);

      const second = await refresh(first.body.refresh_token);
      expect(second.status).toBe(200);
    });

    it('slides the session expiry forward to a full refresh lifetime from now', async () => {
      const user = await signUpAndLogIn(t.http);
      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      const sessions = t.dataSource.getRepository(Session);
      await sessions.update({ id: sid }, { expiresAt: new Date(Date.now() + 60 * 60 * 1000) });

      const before = Date.now();
      expect((await refresh(user.refreshToken)).status).toBe(200);
      const { expiresAt } = await sessions.findOneByOrFail({ id: sid });
      const thirtyDays = 30 * 24 * 60 * 60 * 1000;
      expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + thirtyDays - 1000);
      expect(expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + thirtyDays + 1000);
    });

    it('treats a rotated refresh token presented again as theft: 401 and the whole session ends', async () => {
      const user = await signUpAndLogIn(t.http);
      // Its successor used, the old token has no grace left (issue #23): a replay is theft.
      const rotated = await refresh(user.refreshToken);
      const newest = await refresh(rotated.body.refresh_token);
      expect(newest.status).toBe(200);
      const replay = await refresh(user.refreshToken);

      expect(replay.status).toBe(401);
      expect(replay.body.type).toBe('https://whazz.audio/problems/refresh-token-reused');
      // The thief's and the owner's newest tokens are dead too.
      expect((await refresh(newest.body.refresh_token)).status).toBe(401);
      expect((await me(newest.body.access_token)).status).toBe(401);
      expect((await me(rotated.body.access_token)).status).toBe(401);
      expect((await me(user.accessToken)).status).toBe(401);

      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      const session = await t.dataSource.getRepository(Session).findOneByOrFail({ id: sid });
      expect(session.revokedReason).toBe('refresh_token_reuse');
      // The warning is tied to the request that revealed the reuse.
      const warning = t.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.event === 'refresh_token_reuse' && line.session_id === sid);
      expect(warning?.request_id).toBe(replay.headers['x-request-id']);
    });

    it('never mints two live pairs from concurrent refreshes of one token', async () => {
      const user = await signUpAndLogIn(t.http);
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => refresh(user.refreshToken)),
      );

      // The first to lock the session rotates; every later one finds the token rotated within
      // the reuse grace (issue #23) and gets the same successor. One live refresh token is
      // left; with the grace off they are reuse (test/refresh-grace.e2e-spec.ts).
      expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
      const successors = new Set(
        responses.map((response) => response.body.refresh_token as string),
      );
      expect(successors.size).toBe(1);
      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      expect(
        await t.dataSource
          .getRepository(RefreshToken)
          .countBy({ sessionId: sid, rotatedAt: IsNull() }),
      ).toBe(1);
      expect((await refresh([...successors][0]!)).status).toBe(200);
    });

    it('stores refresh tokens only as SHA-256 hashes', async () => {
      const user = await signUpAndLogIn(t.http);
      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      const rows = await t.dataSource.getRepository(RefreshToken).findBy({ sessionId: sid });

      expect(rows).toHaveLength(1);
      expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(user.refreshToken);
    });

    it.each([
      ['an unknown token', 'x'.repeat(43)],
      ['an access token', null],
    ])('refuses %s with 401', async (_, token) => {
      const user = await signUpAndLogIn(t.http);
      const response = await refresh(token ?? user.accessToken);
      expect(response.status).toBe(401);
      expect(response.body.type).toBe('https://whazz.audio/problems/invalid-refresh-token');
    });

    it('refuses an expired session', async () => {
      const user = await signUpAndLogIn(t.http);
      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      await t.dataSource
        .getRepository(Session)
        .update({ id: sid }, { expiresAt: new Date(Date.now() - 1000) });
      expect((await refresh(user.refreshToken)).status).toBe(401);
    });

    it('answers a missing or mistyped refresh_token with 422', async () => {
      expect((await t.http.post('/auth/refresh').send({})).status).toBe(422);
      expect((await t.http.post('/auth/refresh').send({ refresh_token: 42 })).status).toBe(422);
    });
  });

  describe('logout and sessions', () => {
    it('POST /auth/logout kills that access token and its refresh token at once', async () => {
      const user = await signUpAndLogIn(t.http);
      const response = await t.http
        .post('/auth/logout')
        .set('Authorization', `Bearer ${user.accessToken}`);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message: 'Successfully logged out' });
      expect((await me(user.accessToken)).status).toBe(401);
      expect((await me(user.accessToken)).body.detail).toBe(
        'The access token has been revoked: its session has ended.',
      );
      expect((await refresh(user.refreshToken)).status).toBe(401);
    });

    it('leaves the same user’s other sessions alone on logout', async () => {
      const user = await signUpAndLogIn(t.http);
      const phone = await logIn(t.http, user, 'phone');
      await t.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`);
      expect((await me(phone.accessToken)).status).toBe(200);
    });

    it('ends the session dead when logout and refresh race', async () => {
      const user = await signUpAndLogIn(t.http);
      const [, refreshed] = await Promise.all([
        t.http.post('/auth/logout').set('Authorization', `Bearer ${user.accessToken}`),
        refresh(user.refreshToken),
      ]);
      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      expect(
        (await t.dataSource.getRepository(Session).findOneByOrFail({ id: sid })).revokedAt,
      ).not.toBeNull();
      // Whichever came first, nothing the refresh returned may still work.
      if (refreshed.status === 200) {
        expect((await refresh(refreshed.body.refresh_token as string)).status).toBe(401);
        expect((await me(refreshed.body.access_token as string)).status).toBe(401);
      } else {
        expect(refreshed.status).toBe(401);
      }
    });

    it('accepts a body-less logout sent with Content-Type: application/json', async () => {
      const user = await signUpAndLogIn(t.http);
      const response = await t.http
        .post('/auth/logout')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('Content-Type', 'application/json');
      expect(response.status).toBe(200);
    });

    it('GET /auth/sessions lists active sessions with device, address and the current flag', async () => {
      const user = await signUpAndLogIn(t.http);
      const phone = await logIn(t.http, user, 'Phone/1.0');
      const response = await t.http
        .get('/auth/sessions')
        .set('Authorization', `Bearer ${phone.accessToken}`);

      expect(response.status).toBe(200);
      expect(response.body).toHaveLength(2);
      const current = response.body.find((session: { current: boolean }) => session.current);
      expect(current).toMatchObject({ user_agent: 'Phone/1.0', current: true });
      expect(current.ip_address).toMatch(/127\.0\.0\.1/);
      expect(Object.keys(current).sort()).toEqual([
        'amr',
        'auth_time',
        'created_at',
        'current',
        'expires_at',
        'id',
        'impersonated',
        'impersonator',
        'ip_address',
        'last_used_at',
        'user_agent',
      ]);
      expect(current).toMatchObject({ impersonated: false, impersonator: null, amr: ['pwd'] });
    });

    it('DELETE /auth/sessions/{id} ends one session; someone else’s id is 404', async () => {
      const user = await signUpAndLogIn(t.http);
      const laptop = await logIn(t.http, user, 'laptop');
      const stranger = await signUpAndLogIn(t.http);
      const laptopSid = jwt.decode<{ sid: string }>(laptop.accessToken).sid;

      const byStranger = await t.http
        .delete(`/auth/sessions/${laptopSid}`)
        .set('Authorization', `Bearer ${stranger.accessToken}`);
      expect(byStranger.status).toBe(404);
      expect((await me(laptop.accessToken)).status).toBe(200);

      const byOwner = await t.http
        .delete(`/auth/sessions/${laptopSid}`)
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(byOwner.status).toBe(204);
      expect((await me(laptop.accessToken)).status).toBe(401);
      expect((await refresh(laptop.refreshToken)).status).toBe(401);
      expect((await me(user.accessToken)).status).toBe(200);
    });

    it('answers a session id that is not a UUID with 422', async () => {
      const user = await signUpAndLogIn(t.http);
      const response = await t.http
        .delete('/auth/sessions/not-a-uuid')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
    });

    it('POST /auth/logout-all ends every session of the user and no one else’s', async () => {
      const user = await signUpAndLogIn(t.http);
      const tablet = await logIn(t.http, user, 'tablet');
      const other = await signUpAndLogIn(t.http);

      const response = await t.http
        .post('/auth/logout-all')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ message: 'Logged out of all sessions', revoked_sessions: 2 });
      for (const token of [user.accessToken, tablet.accessToken])
        expect((await me(token)).status).toBe(401);
      for (const token of [user.refreshToken, tablet.refreshToken])
        expect((await refresh(token)).status).toBe(401);
      expect((await me(other.accessToken)).status).toBe(200);
    });

    it('pruning removes sessions that ended longer ago than an access token lives', async () => {
      const user = await signUpAndLogIn(t.http);
      const sid = jwt.decode<{ sid: string }>(user.accessToken).sid;
      await t.dataSource
        .getRepository(Session)
        .update({ id: sid }, { revokedAt: new Date(Date.now() - 16 * 60 * 1000) });
      const { SessionsService } = await import('../src/sessions/sessions.service.js');
      await t.app.get(SessionsService).pruneEnded();

      expect(await t.dataSource.getRepository(Session).existsBy({ id: sid })).toBe(false);
      expect(await t.dataSource.getRepository(RefreshToken).existsBy({ sessionId: sid })).toBe(
        false,
      );
      expect((await me(user.accessToken)).status).toBe(401);
    });
  });

  describe('a disabled account', () => {
    it('cannot refresh (403), and its refresh token still works once the account is enabled again', async () => {
      const user = await signUpAndLogIn(t.http);
      const users = t.dataSource.getRepository(User);
      await users.update({ id: user.id }, { isActive: false });

      const refused = await refresh(user.refreshToken);
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe('https://whazz.audio/problems/account-disabled');

      await users.update({ id: user.id }, { isActive: true });
      expect((await refresh(user.refreshToken)).status).toBe(200);
    });

    it('cannot use any bearer route', async () => {
      const user = await signUpAndLogIn(t.http);
      await t.dataSource.getRepository(User).update({ id: user.id }, { isActive: false });
      for (const path of ['/auth/me', '/auth/sessions']) {
        const response = await t.http.get(path).set('Authorization', `Bearer ${user.accessToken}`);
        expect(response.status).toBe(403);
      }
    });
  });
});
