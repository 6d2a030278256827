/**
 * The TypeScript client (packages/client, issue #23) against the real service, listening on a
 * port: sign-up, login with and without a second factor, refresh before expiry and after a
 * refused access token, one refresh for concurrent calls, the end of a session, problem details.
 */
import { readFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthClient,
  createPkce,
  memoryTokenStore,
  ProblemError,
  type AuthClientOptions,
  type SessionEndReason,
  type SessionTokens,
} from '../../packages/client/src/auth-client.js';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { newSignup } from '../factories/user.factory.js';
import { totpStepsAway } from '../totp-reference.js';

describe('the TypeScript client against the service', () => {
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => t.close());

  /** A client whose refreshes are counted and whose clock the test moves. */
  function client(options: Partial<AuthClientOptions> = {}) {
    const seen = { refreshes: 0, ended: [] as SessionEndReason[], clockMs: 0 };
    const auth = createAuthClient({
      baseUrl,
      now: () => Date.now() + seen.clockMs,
      onSessionEnded: (reason) => seen.ended.push(reason),
      fetch: (request) => {
        if (new URL(request.url).pathname === '/auth/refresh') seen.refreshes += 1;
        return fetch(request);
      },
      ...options,
    });
    return { auth, seen };
  }

  /** The tokens of the last signedIn() login. */
  let lastTokens: SessionTokens | null = null;

  async function signedIn(options: Partial<AuthClientOptions> = {}) {
    const account = newSignup();
    const made = client(options);
    await made.auth.signUp(account);
    const login = await made.auth.logIn({
      username_or_email: account.username,
      password: account.password,
    });
    if (login.kind !== 'signedIn') throw new Error('expected a signed-in login');
    lastTokens = login.tokens;
    return { ...made, account };
  }

  it('signs up, logs in and reads /auth/me', async () => {
    const { auth, account, seen } = await signedIn();
    const me = await auth.me();
    expect(me).toMatchObject({ username: account.username, email: account.email, roles: [] });
    expect(await auth.isSignedIn()).toBe(true);
    expect(seen.refreshes).toBe(0);
  });

  it('turns a 422 into a ProblemError with the field errors', async () => {
    const { auth } = client();
    const failure = await auth
      .signUp({ ...newSignup(), email: 'not-an-email' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProblemError);
    const problem = failure as ProblemError;
    expect(problem.status).toBe(422);
    expect(problem.type).toMatch(/^https:\/\/whazz\.audio\/problems\//);
    expect(problem.title).toEqual(expect.any(String));
    expect(problem.detail).toEqual(expect.any(String));
    expect(problem.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'email' })]),
    );
  });

  it('logs in with a second factor: mfaRequired, then verifyMfa', async () => {
    const { auth, account } = await signedIn();
    const setup = await auth.api.POST('/auth/mfa/totp/setup', {
      body: { password: account.password },
    });
    const secret = setup.data!.secret;
    const confirmed = await auth.api.POST('/auth/mfa/totp/confirm', {
      body: { code: totpStepsAway(secret, -1) },
    });
    expect(confirmed.response.status).toBe(200);

    const { auth: phone } = client();
    const first = await phone.logIn({
      username_or_email: account.email,
      password: account.password,
    });
    if (first.kind !== 'mfaRequired') throw new Error('expected the second step');
    expect(first.mfaRequired.methods).toContain('totp');
    expect(await phone.isSignedIn()).toBe(false);
    const second = await phone.verifyMfa({
      mfa_token: first.mfaRequired.mfa_token,
      code: totpStepsAway(secret, 0),
    });
    expect(second.kind).toBe('signedIn');
    expect((await phone.me()).username).toBe(account.username);
  });

  it('refreshes shortly before the access token expires, once', async () => {
    const { auth, seen } = await signedIn();
    const lifetimeMs = 15 * 60 * 1000;
    seen.clockMs = lifetimeMs - 59_000;
    await auth.me();
    expect(seen.refreshes).toBe(1);
    await auth.me();
    expect(seen.refreshes).toBe(1);
  });

  it('shares one refresh among concurrent calls', async () => {
    const { auth, seen } = await signedIn();
    seen.clockMs = 15 * 60 * 1000;
    const answers = await Promise.all(Array.from({ length: 8 }, () => auth.me()));
    expect(answers).toHaveLength(8);
    expect(seen.refreshes).toBe(1);
    expect(seen.ended).toEqual([]);
  });

  it('answers a 401 for the access token with one refresh and the request again', async () => {
    const { auth: first } = await signedIn();
    const tokens = lastTokens!;
    first.close();
    // The same session in a client that holds an access token the service refuses (a bad
    // signature) although by its clock the token is good for long.
    const { auth, seen } = client({
      store: memoryTokenStore({
        ...tokens,
        accessToken: `${tokens.accessToken.slice(0, -4)}AAAA`,
        refreshAt: Date.now() + 3_600_000,
      }),
    });
    const me = await auth.me();
    expect(me.id).toEqual(expect.any(String));
    expect(seen.refreshes).toBe(1);
    await auth.me();
    expect(seen.refreshes).toBe(1);
  });

  it('calls onSessionEnded once when the session is ended elsewhere, never for a network error', async () => {
    const { auth, account, seen } = await signedIn();
    const { auth: elsewhere } = client();
    await elsewhere.logIn({ username_or_email: account.username, password: account.password });

    const offline = await signedIn({
      fetch: (request) =>
        new URL(request.url).pathname === '/auth/refresh'
          ? Promise.reject(new TypeError('fetch failed'))
          : fetch(request),
    });
    // Offline within the last minute: the refresh fails, the still-valid token is used.
    offline.seen.clockMs = 15 * 60 * 1000 - 30_000;
    expect((await offline.auth.me()).username).toBe(offline.account.username);
    offline.seen.clockMs = 15 * 60 * 1000;
    await expect(offline.auth.me()).rejects.toThrow(TypeError);
    expect(offline.seen.ended).toEqual([]);
    expect(await offline.auth.isSignedIn()).toBe(true);

    expect(await elsewhere.logOutEverywhere()).toBeGreaterThanOrEqual(2);
    const failure = await auth.me().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProblemError);
    expect((failure as ProblemError).status).toBe(401);
    await expect(auth.me()).rejects.toBeInstanceOf(ProblemError);
    expect(seen.ended).toEqual(['refresh-refused']);
    expect(seen.refreshes).toBe(1);
    expect(await auth.isSignedIn()).toBe(false);
  });

  it('abandons a refresh that hangs after refreshTimeoutMs, as a network error', async () => {
    const { auth, seen } = await signedIn({
      refreshTimeoutMs: 200,
      fetch: (request) =>
        new URL(request.url).pathname === '/auth/refresh'
          ? new Promise<Response>((_, reject) =>
              request.signal.addEventListener('abort', () =>
                reject(request.signal.reason as Error),
              ),
            )
          : fetch(request),
    });
    seen.clockMs = 15 * 60 * 1000;
    const started = performance.now();
    await expect(auth.me()).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(seen.ended).toEqual([]);
    expect(await auth.isSignedIn()).toBe(true);
  });

  it('logs out: the tokens stop working and the client forgets them', async () => {
    const { auth, seen } = await signedIn();
    await auth.logOut();
    expect(await auth.isSignedIn()).toBe(false);
    await expect(auth.me()).rejects.toMatchObject({ status: 401 });
    expect(seen.ended).toEqual([]);
  });

  it('builds the social login URL with PKCE, and the code exchange answers problem details', async () => {
    const { auth } = client();
    const pkce = await createPkce();
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pkce.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const url = new URL(
      auth.socialLoginUrl('google', {
        redirectUri: 'http://127.0.0.1:9/done',
        state: 'xyz',
        codeChallenge: pkce.challenge,
      }),
    );
    expect(url.pathname).toBe('/auth/oauth/google/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      redirect_uri: 'http://127.0.0.1:9/done',
      state: 'xyz',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
    const failure = await auth
      .completeSocialLogin('a'.repeat(43), pkce.verifier)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProblemError);
    expect((failure as ProblemError).status).toBeGreaterThanOrEqual(400);
  });

  it('has its types generated from the document the service serves', async () => {
    const document = (await (await fetch(`${baseUrl}/docs-json`)).json()) as object;
    const served = astToString(await openapiTS(document as Parameters<typeof openapiTS>[0]));
    const committed = await readFile(
      new URL('../../packages/client/src/generated/schema.d.ts', import.meta.url),
      'utf8',
    );
    expect(committed.endsWith(served), 'run `npm run client:generate`').toBe(true);
  });
});
