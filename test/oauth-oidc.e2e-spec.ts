/**
 * Social login with an OpenID Connect provider (issue #21), end to end against a real one
 * (`oidc-provider`) on loopback: only its issuer URL and the client's credentials differ from
 * production. Linking rules, the identities routes and their events.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient, createPkce } from '../packages/client/src/auth-client.js';
import { createTestApp, type TestApp } from './create-test-app.js';
import { logIn, signUp, signUpAndLogIn } from './factories/user.factory.js';
import { followToApp } from './oauth/browser-hops.js';
import { claimsOf } from './jwt-claims.js';
import { totpStepsAway, previousStepCode } from './totp-reference.js';
import {
  startOidcProvider,
  type TestAccount,
  type TestOidcProvider,
} from './oauth/oidc-test-provider.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-server.js';

const SERVICE = 'http://auth.localhost';
const APP = 'https://app.example/oauth/done';
const MOBILE_APP = 'com.whazz.app:/oauth';
const problem = (code: string) => `https://whazz.audio/problems/${code}`;

describe('social login with OpenID Connect', () => {
  let t: TestApp;
  let op: TestOidcProvider;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    op = await startOidcProvider(`${SERVICE}/auth/oauth/acme/callback`);
    smtp = await startSmtpServer();
    t = await createTestApp({
      SMTP_URL: smtp.url,
      OAUTH_PROVIDERS: 'acme',
      OAUTH_ACME_ISSUER: op.issuer,
      OAUTH_ACME_CLIENT_ID: op.clientId,
      OAUTH_ACME_CLIENT_SECRET: op.clientSecret,
      OAUTH_REDIRECT_URIS: `${APP},${MOBILE_APP}`,
      OAUTH_CALLBACK_BASE_URL: SERVICE,
    });
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
    await smtp?.close();
  });

  const tag = () => randomBytes(4).toString('hex');
  const account = (overrides: Partial<TestAccount> = {}): TestAccount => {
    const id = tag();
    return {
      sub: `sub-${id}`,
      email: `oidc.${id}@example.com`,
      email_verified: true,
      preferred_username: `oidc_${id}`,
      ...overrides,
    };
  };

  /** An app's PKCE pair (RFC 7636 S256). */
  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  /** The browser's trip: the app's authorize link, the provider, back to the app. */
  async function signInAtProvider(
    who: TestAccount,
    appUri = APP,
    appState = 'app-state-1',
    codeChallenge?: string,
  ) {
    op.signInAs(who);
    const query = new URLSearchParams({ redirect_uri: appUri, state: appState });
    if (codeChallenge) {
      query.set('code_challenge', codeChallenge);
      query.set('code_challenge_method', 'S256');
    }
    return followToApp(
      t.http,
      SERVICE,
      appUri,
      `${SERVICE}/auth/oauth/acme/authorize?${query.toString()}`,
    );
  }

  async function signInWithProvider(who: TestAccount) {
    const back = await signInAtProvider(who);
    return t.http.post('/auth/oauth/token').send({ code: back.searchParams.get('code') });
  }

  const userByEmail = async (email: string) =>
    (
      await t.dataSource.query<
        { id: string; username: string; email_verified: boolean; has_password: boolean }[]
      >(
        `SELECT id, username, email_verified, password_hash IS NOT NULL AS has_password
         FROM users WHERE email = $1`,
        [email],
      )
    )[0];

  const eventsOf = async (userId: string) =>
    (
      await t.dataSource.query<{ type: string; reason: string | null }[]>(
        'SELECT type, reason FROM security_events WHERE user_id = $1 ORDER BY id',
        [userId],
      )
    ).map(({ type, reason }) => `${type}${reason ? `:${reason}` : ''}`);

  it('redirects to the provider with state, PKCE S256 and a nonce, keeping only their hashes of state', async () => {
    const response = await t.http
      .get('/auth/oauth/acme/authorize')
      .query({ redirect_uri: APP, state: 'xyz' });
    expect(response.status).toBe(302);
    expect(response.headers['cache-control']).toBe('no-store');
    const location = new URL(response.headers.location as string);
    expect(location.origin).toBe(op.issuer);
    const params = location.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')).toBeTruthy();
    expect(params.get('redirect_uri')).toBe(`${SERVICE}/auth/oauth/acme/callback`);
    const state = params.get('state')!;
    const stored = await t.dataSource.query<{ state_hash: string }[]>(
      'SELECT state_hash FROM oauth_states WHERE state_hash = encode(sha256($1::bytea), $2)',
      [state, 'hex'],
    );
    expect(stored).toHaveLength(1);
    const plain = await t.dataSource.query('SELECT 1 FROM oauth_states WHERE state_hash = $1', [
      state,
    ]);
    expect(plain).toHaveLength(0);
  });

  it('opens an account for a new identity: verified email, username from the provider, no password', async () => {
    const who = account();
    const back = await signInAtProvider(who);
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get('state')).toBe('app-state-1');
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([...back.searchParams.keys()].sort()).toEqual(['code', 'state']);

    const tokens = await t.http.post('/auth/oauth/token').send({ code });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
    const me = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${tokens.body.access_token}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      email: who.email,
      username: who.preferred_username,
      email_verified: true,
    });

    const user = await userByEmail(who.email!);
    expect(user).toMatchObject({ has_password: false, email_verified: true });
    expect(await eventsOf(user!.id)).toEqual([
      'signup:acme',
      'identity_linked:acme',
      'oauth_login:acme',
    ]);

    // No password: password login fails exactly as a wrong password does.
    const login = await t.http
      .post('/auth/login')
      .send({ username_or_email: who.email, password: 'any password at all' });
    expect(login.status).toBe(401);
    expect(login.body.type).toBe(problem('invalid-credentials'));
  });

  it('signs a known identity in to the same account, and returns to a mobile app URL with PKCE', async () => {
    const who = account();
    const first = await signInWithProvider(who);
    expect(first.status).toBe(200);
    const { verifier, challenge } = pkce();
    const back = await signInAtProvider(who, MOBILE_APP, 'app-state-1', challenge);
    expect(back.protocol).toBe('com.whazz.app:');
    const again = await t.http
      .post('/auth/oauth/token')
      .send({ code: back.searchParams.get('code'), code_verifier: verifier });
    expect(again.status).toBe(200);
    const users = await t.dataSource.query('SELECT id FROM users WHERE email = $1', [who.email]);
    expect(users).toHaveLength(1);
  });

  it('signs in through the TypeScript client: its authorize URL, then its code exchange with PKCE (issue #23)', async () => {
    await t.app.listen(0, '127.0.0.1');
    const baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    const auth = createAuthClient({ baseUrl });
    try {
      const who = account();
      const { verifier, challenge } = await createPkce();
      const authorize = new URL(
        auth.socialLoginUrl('acme', {
          redirectUri: MOBILE_APP,
          state: 'app-state-1',
          codeChallenge: challenge,
        }),
      );
      op.signInAs(who);
      // The browser's trip, from the URL the client built.
      const back = await followToApp(
        t.http,
        SERVICE,
        MOBILE_APP,
        `${SERVICE}${authorize.pathname}${authorize.search}`,
      );
      expect(back.searchParams.get('state')).toBe('app-state-1');
      const tokens = await auth.completeSocialLogin(back.searchParams.get('code')!, verifier);
      expect(claimsOf(tokens.accessToken).amr).toEqual(['fed']);
      expect(await auth.me()).toMatchObject({ email: who.email, email_verified: true });
      await auth.logOut();
      expect(await auth.isSignedIn()).toBe(false);
    } finally {
      auth.close();
    }
  });

  it('gives a taken username a short suffix that still passes the username rules', async () => {
    const taken = await signUp(t.http);
    const who = account({ preferred_username: taken.username.toUpperCase() });
    expect((await signInWithProvider(who)).status).toBe(200);
    const user = await userByEmail(who.email!);
    expect(user!.username).toMatch(new RegExp(`^${taken.username.toUpperCase()}_[0-9a-f]{4}$`));
  });

  it('links to an existing account only when both the provider and the account verified the email', async () => {
    const local = await signUp(t.http);
    await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [local.id]);
    const tokens = await signInWithProvider(account({ email: local.email }));
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const me = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${tokens.body.access_token}`);
    expect(me.body.id).toBe(local.id);
    expect(await eventsOf(local.id)).toEqual(
      expect.arrayContaining(['identity_linked:acme', 'oauth_login:acme']),
    );
    await expect
      .poll(
        () =>
          smtp.received.filter((mail) => mail.to === local.email && /acme/.test(mail.subject))
            .length,
      )
      .toBe(1);
  });

  it('refuses to link when the local account never verified the email (takeover by registering it first)', async () => {
    const victim = await signUp(t.http);
    const attacker = account({ email: victim.email, email_verified: true });
    const response = await signInWithProvider(attacker);
    expect(response.status).toBe(409);
    expect(response.body.type).toBe(problem('identity-link-required'));
    expect(response.body.detail).toMatch(/sign in to it .* and link acme/i);
    const identities = await t.dataSource.query('SELECT 1 FROM identities WHERE user_id = $1', [
      victim.id,
    ]);
    expect(identities).toHaveLength(0);
  });

  it('opens an account unverified when the provider address matches its stored form only after Unicode folding', async () => {
    // The Kelvin sign folds to "k": the provider verified a mailbox other than the stored one.
    const id = tag();
    const who = account({ email: `\u212Aate.${id}@example.com` });
    const tokens = await signInWithProvider(who);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const folded = `kate.${id}@example.com`;
    expect(await userByEmail(folded)).toMatchObject({ email_verified: false });

    // So the owner of the folded address, verified at the provider, is not linked into it.
    const owner = await signInWithProvider(account({ email: folded }));
    expect(owner.status).toBe(409);
    expect(owner.body.type).toBe(problem('identity-link-required'));
  });

  it('refuses to link when the provider did not verify the email', async () => {
    const local = await signUp(t.http);
    await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [local.id]);
    const response = await signInWithProvider(
      account({ email: local.email, email_verified: false }),
    );
    expect(response.status).toBe(409);
    expect(response.body.type).toBe(problem('identity-link-required'));
  });

  it('opens no account for an email the provider did not verify', async () => {
    const who = account({ email_verified: false });
    const response = await signInWithProvider(who);
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(problem('provider-email-not-verified'));
    expect(await userByEmail(who.email!)).toBeUndefined();
  });

  /** Starts linking as `user` and follows the browser to the app: the app's query. */
  async function linkAtProvider(
    bearerToken: string,
    who: TestAccount,
    body: Record<string, string> = {},
  ) {
    const started = await t.http
      .post('/auth/oauth/acme/link')
      .set('Authorization', `Bearer ${bearerToken}`)
      .send({ redirect_uri: APP, ...body });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    op.signInAs(who);
    const back = await followToApp(t.http, SERVICE, APP, started.body.authorization_url as string);
    return Object.fromEntries(back.searchParams);
  }

  const completeLink = (bearerToken: string, code: string | undefined) =>
    t.http
      .post('/auth/oauth/link/complete')
      .set('Authorization', `Bearer ${bearerToken}`)
      .send({ code });

  it('links a provider to a signed-in account, lists it, and unlinks it while a password remains', async () => {
    const user = await signUpAndLogIn(t.http);
    const bearer = { Authorization: `Bearer ${user.accessToken}` };
    const who = account({ email: `other.${tag()}@example.com` });
    const back = await linkAtProvider(user.accessToken, who, {
      state: 'linking',
      current_password: user.password,
    });
    expect(Object.keys(back).sort()).toEqual(['link_code', 'state']);
    expect(back.state).toBe('linking');
    // Nothing is linked until the app completes with the account's own token.
    expect((await t.http.get('/auth/identities').set(bearer)).body).toEqual([]);
    const completed = await completeLink(user.accessToken, back.link_code);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body).toMatchObject({ provider: 'acme', email: who.email });

    const listed = await t.http.get('/auth/identities').set(bearer);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      {
        id: completed.body.id,
        provider: 'acme',
        email: who.email,
        email_verified: true,
        created_at: expect.any(String),
        last_used_at: expect.any(String),
      },
    ]);
    // The provider now signs in to this account.
    const viaProvider = await signInWithProvider(who);
    const me = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${viaProvider.body.access_token}`);
    expect(me.body.id).toBe(user.id);

    const removed = await t.http.delete(`/auth/identities/${listed.body[0].id}`).set(bearer);
    expect(removed.status).toBe(204);
    expect((await t.http.get('/auth/identities').set(bearer)).body).toEqual([]);
    expect(await eventsOf(user.id)).toEqual(
      expect.arrayContaining(['identity_linked:acme', 'identity_unlinked:acme']),
    );
    await logIn(t.http, user);
  });

  it('needs the account’s password to start linking: missing (422) or wrong (403)', async () => {
    const user = await signUpAndLogIn(t.http);
    const start = (body: object) =>
      t.http
        .post('/auth/oauth/acme/link')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .send({ redirect_uri: APP, ...body });
    const missing = await start({});
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([
      { field: 'current_password', message: 'is required for an account with a password' },
    ]);
    const wrong = await start({ current_password: 'not the password at all' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.type).toBe(problem('wrong-password'));
  });

  it('lets an account without a password link with a recent sign-in only', async () => {
    const tokens = await signInWithProvider(account());
    const other = account({ email: `other.${tag()}@example.com` });
    const back = await linkAtProvider(tokens.body.access_token as string, other);
    expect((await completeLink(tokens.body.access_token as string, back.link_code)).status).toBe(
      200,
    );

    // The same session, refreshed after its sign-in is over 5 minutes old: refused.
    await t.dataSource.query(
      `UPDATE sessions SET authenticated_at = now() - interval '6 minutes'
       WHERE user_id = (SELECT user_id FROM identities WHERE subject = $1)`,
      [other.sub],
    );
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refresh_token: tokens.body.refresh_token });
    expect(refreshed.status).toBe(200);
    const stale = await t.http
      .post('/auth/oauth/acme/link')
      .set('Authorization', `Bearer ${refreshed.body.access_token}`)
      .send({ redirect_uri: APP });
    expect(stale.status).toBe(403);
    expect(stale.body.type).toBe(problem('recent-sign-in-required'));
  });

  it('a link code completes only with the token of the account that started linking (login CSRF)', async () => {
    // The attacker starts linking and sends the authorization URL to the victim, who signs in
    // at the provider as themselves: the victim's provider account must not join the
    // attacker's account.
    const attacker = await signUpAndLogIn(t.http);
    const victim = await signUpAndLogIn(t.http);
    const victimAtProvider = account({ email: `victim.${tag()}@example.com` });
    const back = await linkAtProvider(attacker.accessToken, victimAtProvider, {
      current_password: attacker.password,
    });
    const identitiesOf = (userId: string) =>
      t.dataSource.query('SELECT 1 FROM identities WHERE user_id = $1', [userId]);
    expect(await identitiesOf(attacker.id)).toHaveLength(0);
    // The victim's app, holding the victim's session, completes: refused, and the code is spent.
    const refused = await completeLink(victim.accessToken, back.link_code);
    expect(refused.status).toBe(400);
    expect(refused.body.type).toBe(problem('invalid-link-code'));
    expect((await completeLink(attacker.accessToken, back.link_code)).status).toBe(400);
    expect(await identitiesOf(attacker.id)).toHaveLength(0);
    expect(await identitiesOf(victim.id)).toHaveLength(0);
    // And a link code is no login code.
    const asLogin = await t.http.post('/auth/oauth/token').send({ code: back.link_code });
    expect(asLogin.body.type).toBe(problem('invalid-login-code'));
  });

  it('refuses (409) to unlink the only way to sign in, manages two-step verification without a password, and lets the reset flow add a password', async () => {
    const who = account();
    const tokens = await signInWithProvider(who);
    const bearer = { Authorization: `Bearer ${tokens.body.access_token}` };
    const [identity] = (await t.http.get('/auth/identities').set(bearer)).body as { id: string }[];
    const refused = await t.http.delete(`/auth/identities/${identity!.id}`).set(bearer);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe(problem('last-sign-in-method'));

    // No password to check: told so (409), not `wrong-password`, and not counted as a guess.
    for (const [method, path, body] of [
      [
        'post',
        '/auth/change-password',
        { current_password: 'x', new_password: 'a new pass phrase 21' },
      ],
      ['post', '/auth/change-email', { new_email: `new.${tag()}@example.com`, password: 'x' }],
      ['delete', '/auth/me', { password: 'x' }],
    ] as const) {
      const answer = await t.http[method](path).set(bearer).send(body);
      expect(answer.status, path).toBe(409);
      expect(answer.body.type).toBe(problem('password-not-set'));
    }
    const failed = await t.dataSource.query(
      `SELECT 1 FROM security_events e JOIN users u ON u.id = e.user_id
       WHERE u.email = $1 AND e.type = 'login_failed'`,
      [who.email],
    );
    expect(failed).toHaveLength(0);
    // Two-step verification: a fresh sign-in stands in for the password it does not have.
    const setup = await t.http.post('/auth/mfa/totp/setup').set(bearer).send({});
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const secret = setup.body.secret as string;
    const confirmed = await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer)
      .send({ code: await previousStepCode(secret) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    // Managing it asks the code and, for want of a password, the same fresh sign-in.
    const regenerated = await t.http
      .post('/auth/mfa/recovery-codes/regenerate')
      .set(bearer)
      .send({ code: totpStepsAway(secret, 0) });
    expect(regenerated.status, JSON.stringify(regenerated.body)).toBe(200);
    const [recoveryCode] = regenerated.body.recovery_codes as string[];
    const withoutCode = await t.http.post('/auth/mfa/totp/disable').set(bearer).send({});
    expect(withoutCode.status).toBe(422);
    const disabled = await t.http
      .post('/auth/mfa/totp/disable')
      .set(bearer)
      .send({ recovery_code: recoveryCode });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);

    const reset = await t.http.post('/auth/forgot-password').send({ email: who.email });
    expect(reset.status).toBe(202);
    await smtp.mailTo(who.email!, /Reset your password/);
  });

  it('answers 404 for another account’s identity and for an unknown provider', async () => {
    const owner = await signInWithProvider(account());
    const ownerIdentity = (
      await t.http.get('/auth/identities').set('Authorization', `Bearer ${owner.body.access_token}`)
    ).body[0].id as string;
    const stranger = await signUpAndLogIn(t.http);
    const bearer = { Authorization: `Bearer ${stranger.accessToken}` };
    expect((await t.http.delete(`/auth/identities/${ownerIdentity}`).set(bearer)).status).toBe(404);
    expect((await t.http.delete(`/auth/identities/${randomUUID()}`).set(bearer)).status).toBe(404);
    const unknown = await t.http.get('/auth/oauth/nope/authorize').query({ redirect_uri: APP });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe(problem('unknown-provider'));
  });

  it('needs a bearer token to start and complete linking', async () => {
    const response = await t.http.post('/auth/oauth/acme/link').send({ redirect_uri: APP });
    expect(response.status).toBe(401);
    const completing = await t.http
      .post('/auth/oauth/link/complete')
      .send({ code: randomBytes(32).toString('base64url') });
    expect(completing.status).toBe(401);
  });

  it('tells an account opened through a provider to sign in its own way, not with a password', async () => {
    const who = account();
    expect((await signInWithProvider(who)).status).toBe(200);
    const unverified = await signInWithProvider(
      account({ email: who.email, email_verified: false }),
    );
    expect(unverified.status).toBe(409);
    expect(unverified.body.type).toBe(problem('identity-link-required'));
    expect(unverified.body.detail).not.toMatch(/password and link/);
  });

  it('asks an account with a second factor for its code after the provider too (issue #20)', async () => {
    const local = await signUp(t.http);
    await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [local.id]);
    const { accessToken } = await logIn(t.http, local);
    const bearer = { Authorization: `Bearer ${accessToken}` };
    const setup = await t.http
      .post('/auth/mfa/totp/setup')
      .set(bearer)
      .send({ password: local.password });
    const secret = setup.body.secret as string;
    await t.http
      .post('/auth/mfa/totp/confirm')
      .set(bearer)
      .send({ code: await previousStepCode(secret) });

    const tokens = await signInWithProvider(account({ email: local.email }));
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(403);
    expect(tokens.body.type).toBe(problem('mfa-required'));
    const verified = await t.http
      .post('/auth/mfa/verify')
      .send({ mfa_token: tokens.body.mfa_token, code: totpStepsAway(secret, 0) });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(claimsOf(verified.body.access_token as string).amr).toEqual(['fed', 'otp']);
    expect(await eventsOf(local.id)).toEqual(expect.arrayContaining(['oauth_login:acme']));
  });
});
