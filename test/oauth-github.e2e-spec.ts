/**
 * Social login with GitHub (issue #21), OAuth 2 without OpenID Connect: against a
 * GitHub-shaped server on loopback; only its base URLs and the credentials differ from
 * production. Only the primary, verified address counts.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUp } from './factories/user.factory.js';
import { followToApp } from './oauth/browser-hops.js';
import {
  startGitHubServer,
  type GitHubTestUser,
  type TestGitHubServer,
} from './oauth/github-server.js';

const SERVICE = 'http://auth.localhost';
const APP = 'https://app.example/oauth/done';
const problem = (code: string) => `https://whazz.audio/problems/${code}`;

describe('social login with GitHub', () => {
  let t: TestApp;
  let github: TestGitHubServer;

  beforeAll(async () => {
    github = await startGitHubServer();
    t = await createTestApp({
      OAUTH_PROVIDERS: 'github',
      OAUTH_GITHUB_CLIENT_ID: github.clientId,
      OAUTH_GITHUB_CLIENT_SECRET: github.clientSecret,
      OAUTH_GITHUB_AUTHORIZE_URL: `${github.url}/login/oauth/authorize`,
      OAUTH_GITHUB_TOKEN_URL: `${github.url}/login/oauth/access_token`,
      OAUTH_GITHUB_API_URL: github.url,
      OAUTH_REDIRECT_URIS: APP,
      OAUTH_CALLBACK_BASE_URL: SERVICE,
    });
  });
  afterAll(async () => {
    await t?.close();
    await github?.close();
  });

  const gitHubUser = (overrides: Partial<GitHubTestUser> = {}): GitHubTestUser => {
    const tag = randomBytes(4).toString('hex');
    return {
      id: randomInt(1, 2 ** 47),
      login: `octo-${tag}`,
      emails: [{ email: `octo.${tag}@example.com`, primary: true, verified: true }],
      ...overrides,
    };
  };

  async function signInWithGitHub(user: GitHubTestUser) {
    github.signInAs(user);
    const query = new URLSearchParams({ redirect_uri: APP });
    const back = await followToApp(
      t.http,
      SERVICE,
      APP,
      `${SERVICE}/auth/oauth/github/authorize?${query.toString()}`,
    );
    return t.http.post('/auth/oauth/token').send({ code: back.searchParams.get('code') });
  }

  it('sends PKCE S256 and no nonce to GitHub', async () => {
    const response = await t.http.get('/auth/oauth/github/authorize').query({ redirect_uri: APP });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.location as string);
    expect(location.href.startsWith(`${github.url}/login/oauth/authorize?`)).toBe(true);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('scope')).toBe('read:user user:email');
    expect(location.searchParams.get('nonce')).toBeNull();
  });

  it('opens an account from the numeric id, the login and the primary verified address', async () => {
    const user = gitHubUser();
    user.emails.unshift({
      email: `noreply.${user.id}@example.com`,
      primary: false,
      verified: true,
    });
    const tokens = await signInWithGitHub(user);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const me = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${tokens.body.access_token}`);
    expect(me.body).toMatchObject({
      email: user.emails[1]!.email,
      username: user.login,
      email_verified: true,
    });
    const [identity] = await t.dataSource.query<{ subject: string }[]>(
      `SELECT subject FROM identities WHERE provider = 'github' AND user_id = $1`,
      [me.body.id],
    );
    expect(identity!.subject).toBe(String(user.id));
    // The same GitHub account signs in to the same account, whatever its login became.
    const again = await signInWithGitHub({ ...user, login: 'renamed-later' });
    const meAgain = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${again.body.access_token}`);
    expect(meAgain.body.id).toBe(me.body.id);
  });

  it('ignores a verified address that is not primary: no account is opened from it', async () => {
    const tag = randomBytes(4).toString('hex');
    const user = gitHubUser({
      emails: [
        { email: `primary.${tag}@example.com`, primary: true, verified: false },
        { email: `secondary.${tag}@example.com`, primary: false, verified: true },
      ],
    });
    const response = await signInWithGitHub(user);
    expect(response.status).toBe(403);
    expect(response.body.type).toBe(problem('provider-email-not-verified'));
    const users = await t.dataSource.query('SELECT 1 FROM users WHERE email = ANY($1)', [
      user.emails.map(({ email }) => email),
    ]);
    expect(users).toHaveLength(0);
  });

  it('does not link to an account by a verified but non-primary GitHub address', async () => {
    const local = await signUp(t.http);
    await t.dataSource.query('UPDATE users SET email_verified = true WHERE id = $1', [local.id]);
    const user = gitHubUser();
    user.emails.push({ email: local.email, primary: false, verified: true });
    const tokens = await signInWithGitHub(user);
    expect(tokens.status).toBe(200);
    const me = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${tokens.body.access_token}`);
    expect(me.body.id).not.toBe(local.id);
  });

  it('tells the app when GitHub refuses the code', async () => {
    const response = await t.http.get('/auth/oauth/github/authorize').query({ redirect_uri: APP });
    const state = new URL(response.headers.location as string).searchParams.get('state')!;
    const back = await t.http
      .get('/auth/oauth/github/callback')
      .query({ code: 'not-a-code', state });
    expect(back.status).toBe(302);
    const location = new URL(back.headers.location as string);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      error: 'invalid_provider_response',
    });
  });
});
