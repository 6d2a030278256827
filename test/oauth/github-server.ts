/**
 * A GitHub-shaped OAuth server on loopback (issue #21), answering as GitHub documents:
 * `GET /login/oauth/authorize` (redirects back at once, as for a user who already authorised
 * the app), `POST /login/oauth/access_token` (JSON when asked, PKCE S256 checked), `GET /user`
 * and `GET /user/emails` with the token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubTestUser {
  id: number;
  login: string;
  name?: string | null;
  emails: { email: string; primary: boolean; verified: boolean; visibility?: string | null }[];
}

export interface TestGitHubServer {
  url: string;
  clientId: string;
  clientSecret: string;
  /** The user the next authorization signs in. */
  signInAs(user: GitHubTestUser): void;
  close(): Promise<void>;
}

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
};

export async function startGitHubServer(): Promise<TestGitHubServer> {
  const clientId = 'Iv1.testclient';
  const clientSecret = 'github-test-secret-0123456789';
  let current: GitHubTestUser | undefined;
  const codes = new Map<string, { user: GitHubTestUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GitHubTestUser>();

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://github.test');
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    void (async () => {
      if (request.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const params = url.searchParams;
        if (params.get('client_id') !== clientId || !current) return json(400, {});
        const redirect = new URL(params.get('redirect_uri')!);
        const code = randomBytes(10).toString('hex');
        codes.set(code, {
          user: current,
          challenge: params.get('code_challenge') ?? '',
          redirectUri: params.get('redirect_uri')!,
        });
        redirect.searchParams.set('code', code);
        redirect.searchParams.set('state', params.get('state') ?? '');
        response.writeHead(302, { location: redirect.href });
        return response.end();
      }
      if (request.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const body = await readBody(request);
        const grant = codes.get(body.get('code') ?? '');
        codes.delete(body.get('code') ?? '');
        const verifier = body.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        // GitHub answers a bad code with 200 and an error field.
        if (
          !grant ||
          body.get('client_id') !== clientId ||
          body.get('client_secret') !== clientSecret ||
          body.get('redirect_uri') !== grant.redirectUri ||
          challenge !== grant.challenge
        ) {
          return json(200, { error: 'bad_verification_code' });
        }
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        return json(200, {
          access_token: token,
          token_type: 'bearer',
          scope: 'read:user,user:email',
        });
      }
      const user = tokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!user) return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/user') {
        return json(200, { id: user.id, login: user.login, name: user.name ?? null, email: null });
      }
      if (url.pathname === '/user/emails') return json(200, user.emails);
      return json(404, { message: 'Not Found' });
    })().catch(() => json(500, {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientId,
    clientSecret,
    signInAs(user) {
      current = user;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
