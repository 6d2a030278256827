import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';
import { createPkce, type Pkce } from './pkce.js';
import { ProblemError, type ProblemDetails } from './problem-error.js';
import { Session, SessionBusyError, type SessionEndReason, type TokenPairBody } from './session.js';
import { memoryTokenStore, type SessionTokens, type TokenStore } from './token-store.js';

export { createPkce, ProblemError, SessionBusyError, memoryTokenStore };
export type { FieldError, ProblemDetails } from './problem-error.js';
export type { Pkce, SessionEndReason, SessionTokens, TokenStore };
export type { components, paths };

type Schemas = components['schemas'];
export type SignupBody = Schemas['SignupDto'];
export type LoginBody = Schemas['LoginDto'];
export type MfaVerifyBody = Schemas['MfaVerifyDto'];
export type User = Schemas['UserResponseDto'];
export type Me = Schemas['MeResponseDto'];

export interface AuthClientOptions {
  /** Where the service is, e.g. `https://auth.whazz.audio` (or `''`-less same-origin URL). */
  baseUrl: string;
  /** Where the tokens live; memory by default. */
  store?: TokenStore;
  fetch?: (request: Request) => Promise<Response>;
  /** Called once when the service ended the session (never for a network error). */
  onSessionEnded?: (reason: SessionEndReason) => void;
  /**
   * Share the session with the other tabs and workers of the origin. Default: in a browser
   * (a document or a worker), yes; in Node, no (each client there is its own session).
   */
  shareAcrossTabs?: boolean;
  /** The clock, epoch milliseconds; tests move it. */
  now?: () => number;
  /**
   * How long a refresh request may take before it is abandoned (a network error: the session
   * goes on). Default 15 s: every tab of the origin waits for it.
   */
  refreshTimeoutMs?: number;
}

const DEFAULT_REFRESH_TIMEOUT_MS = 15_000;

export type LoginResult =
  | { kind: 'signedIn'; tokens: SessionTokens; deviceToken?: string }
  | { kind: 'mfaRequired'; mfaRequired: MfaRequired };

/** The second step a login asks for: complete it with `verifyMfa`. */
export interface MfaRequired {
  mfa_token: string;
  methods: string[];
  expires_in: number;
}

export interface SocialLoginStart {
  redirectUri: string;
  /** Your own value, returned as `state` to `redirectUri`: check it there. */
  state?: string;
  /** From `createPkce()`; required by the service for a `redirectUri` that is not https. */
  codeChallenge?: string;
}

export interface AuthClient {
  /** The whole API, typed; requests carry the session's access token, refreshed as needed. */
  readonly api: Client<paths>;
  signUp(body: SignupBody): Promise<User>;
  logIn(body: LoginBody): Promise<LoginResult>;
  verifyMfa(body: MfaVerifyBody): Promise<LoginResult & { kind: 'signedIn' }>;
  /** The URL to send the browser to for a sign-in with `provider`. */
  socialLoginUrl(provider: string, start: SocialLoginStart): string;
  /** Exchanges the `code` the sign-in returned to `redirectUri` with. */
  completeSocialLogin(code: string, codeVerifier?: string): Promise<SessionTokens>;
  me(): Promise<Me>;
  /** Ends this session at the service and here (and in the origin's other tabs). */
  logOut(): Promise<void>;
  /** Ends every session of the account, this one included; 0 when this client had none. */
  logOutEverywhere(): Promise<number>;
  isSignedIn(): Promise<boolean>;
  /** Stops listening to the other tabs. */
  close(): void;
}

const inBrowser = (): boolean =>
  typeof (globalThis as { document?: unknown }).document !== 'undefined' ||
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** openapi-fetch's answer as data, or a ProblemError for anything else. */
async function dataOf<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw ProblemError.from(response, error);
  return data as T;
}

/** A 401 for the access token itself (RFC 6750 `invalid_token`), not for, say, a password. */
const accessTokenRefused = (response: Response): boolean =>
  response.status === 401 && /invalid_token/.test(response.headers.get('www-authenticate') ?? '');

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const publicApi = createClient<paths>({ baseUrl, fetch: send });

  const session = new Session({
    store: options.store ?? memoryTokenStore(),
    now: options.now ?? Date.now,
    onSessionEnded: options.onSessionEnded,
    crossTabName: (options.shareAcrossTabs ?? inBrowser()) && `whazz-auth-session:${baseUrl}`,
    refresh: (refreshToken) =>
      dataOf(
        publicApi.POST('/auth/refresh', {
          body: { refresh_token: refreshToken },
          signal: AbortSignal.timeout(options.refreshTimeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS),
        }),
      ),
  });

  /** Calls with the access token; one the service refuses is refreshed once and called again. */
  async function revokeWith<T>(
    call: (authorization: string) => Promise<{ data?: T; error?: unknown; response: Response }>,
    tokens: SessionTokens,
    refresh: () => Promise<SessionTokens | null>,
  ): Promise<T | undefined> {
    let answer = await call(`Bearer ${tokens.accessToken}`);
    if (accessTokenRefused(answer.response)) {
      const fresh = await refresh();
      if (!fresh) return undefined;
      answer = await call(`Bearer ${fresh.accessToken}`);
    }
    // Already ended at the service: logged out all the same.
    if (answer.response.status === 401) return undefined;
    return dataOf(Promise.resolve(answer));
  }

  /** Sends with the access token; a 401 for that token refreshes once and sends again. */
  async function sendSignedIn(request: Request): Promise<Response> {
    const token = await session.accessToken();
    if (token === null || request.headers.has('authorization')) return send(request);
    const again = request.clone();
    request.headers.set('authorization', `Bearer ${token}`);
    const response = await send(request);
    if (!accessTokenRefused(response)) return response;
    const tokens = await session.current();
    if (!tokens) return response;
    const fresh =
      tokens.accessToken === token
        ? await session.refresh(tokens)
        : (tokens as SessionTokens | null);
    if (!fresh) return response;
    again.headers.set('authorization', `Bearer ${fresh.accessToken}`);
    return send(again);
  }
  const api = createClient<paths>({ baseUrl, fetch: sendSignedIn });

  async function signedIn(pair: TokenPairBody & { device_token?: string }) {
    const tokens = await session.start(pair);
    return {
      kind: 'signedIn' as const,
      tokens,
      ...(pair.device_token !== undefined && { deviceToken: pair.device_token }),
    };
  }

  return {
    api,
    signUp: (body) => dataOf(publicApi.POST('/auth/signup', { body })),
    async logIn(body) {
      try {
        return await signedIn(await dataOf(publicApi.POST('/auth/login', { body })));
      } catch (error) {
        if (!(error instanceof ProblemError) || error.code !== 'mfa-required') throw error;
        const { mfa_token, methods, expires_in } = error.body as ProblemDetails & MfaRequired;
        return { kind: 'mfaRequired', mfaRequired: { mfa_token, methods, expires_in } };
      }
    },
    verifyMfa: async (body) => signedIn(await dataOf(publicApi.POST('/auth/mfa/verify', { body }))),
    socialLoginUrl(provider, start) {
      const query = new URLSearchParams({ redirect_uri: start.redirectUri });
      if (start.state !== undefined) query.set('state', start.state);
      if (start.codeChallenge !== undefined) {
        query.set('code_challenge', start.codeChallenge);
        query.set('code_challenge_method', 'S256');
      }
      return `${baseUrl}/auth/oauth/${encodeURIComponent(provider)}/authorize?${query}`;
    },
    async completeSocialLogin(code, codeVerifier) {
      const body = { code, ...(codeVerifier !== undefined && { code_verifier: codeVerifier }) };
      return session.start(await dataOf(publicApi.POST('/auth/oauth/token', { body })));
    },
    me: () => dataOf(api.GET('/auth/me')),
    // Both under the refresh lock (Session.endAfter): a refresh racing them cannot revive it.
    async logOut() {
      await session.endAfter((tokens, refresh) =>
        revokeWith(
          (authorization) => publicApi.POST('/auth/logout', { headers: { authorization } }),
          tokens,
          refresh,
        ),
      );
    },
    async logOutEverywhere() {
      const answer = await session.endAfter((tokens, refresh) =>
        revokeWith(
          (authorization) => publicApi.POST('/auth/logout-all', { headers: { authorization } }),
          tokens,
          refresh,
        ),
      );
      return answer?.revoked_sessions ?? 0;
    },
    isSignedIn: async () => (await session.current()) !== null,
    close: () => session.close(),
  };
}
