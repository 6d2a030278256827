/**
 * The client's cross-tab session (packages/client, issue #23) in Node, whose BroadcastChannel
 * and Web Locks (navigator.locks) are the browser's: two clients of one base URL are two tabs.
 * A channel that drops chosen messages stands for a message still on its way or lost. The
 * service is the real one, listening on a port.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createAuthClient,
  ProblemError,
  SessionBusyError,
  type AuthClientOptions,
  type SessionEndReason,
  type SessionTokens,
} from '../../packages/client/src/auth-client.js';
import type { SessionMessage } from '../../packages/client/src/cross-tab.js';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { newSignup } from '../factories/user.factory.js';

const LIFETIME_MS = 15 * 60 * 1000;
const NativeChannel = BroadcastChannel;

describe('the client across tabs of one origin', () => {
  let t: TestApp;
  let baseUrl: string;
  const open: { close(): void }[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterEach(() => {
    open.splice(0).forEach((client) => client.close());
    vi.unstubAllGlobals();
  });
  afterAll(() => t.close());

  const server = { refreshes: 0 };

  /** A tab: its own clock, its onSessionEnded calls, and a filter on what it hears. */
  function tab(options: Partial<AuthClientOptions> = {}) {
    const seen = {
      ended: [] as SessionEndReason[],
      clockMs: 0,
      deaf: (_message: SessionMessage) => false,
    };
    vi.stubGlobal(
      'BroadcastChannel',
      class {
        private readonly inner: InstanceType<typeof NativeChannel>;
        constructor(name: string) {
          this.inner = new NativeChannel(name);
        }
        set onmessage(handler: (event: MessageEvent) => void) {
          this.inner.onmessage = (event: MessageEvent) => {
            if (!seen.deaf(event.data as SessionMessage)) handler(event);
          };
        }
        postMessage(message: unknown) {
          this.inner.postMessage(message);
        }
        close() {
          this.inner.close();
        }
      },
    );
    const auth = createAuthClient({
      baseUrl,
      shareAcrossTabs: true,
      now: () => Date.now() + seen.clockMs,
      onSessionEnded: (reason) => seen.ended.push(reason),
      fetch: (request) => {
        if (new URL(request.url).pathname === '/auth/refresh') server.refreshes += 1;
        return fetch(request);
      },
      ...options,
    });
    vi.unstubAllGlobals();
    open.push(auth);
    return { auth, seen };
  }

  /** Two tabs signed in to one session, the second through the first's message. */
  async function twoTabs(first: Partial<AuthClientOptions> = {}) {
    const a = tab(first);
    const b = tab();
    const account = newSignup();
    await a.auth.signUp(account);
    const login = await a.auth.logIn({
      username_or_email: account.username,
      password: account.password,
    });
    expect(login.kind).toBe('signedIn');
    await expect.poll(() => b.auth.isSignedIn()).toBe(true);
    server.refreshes = 0;
    return { a, b, account };
  }

  /** Moves a tab's clock to `ms` after login and gets /auth/me there. */
  async function meAt(who: ReturnType<typeof tab>, ms: number) {
    who.seen.clockMs = ms;
    return who.auth.me();
  }

  it('asks the other tabs for a newer pair it missed instead of spending a spent token', async () => {
    const { a, b, account } = await twoTabs();
    let dropped = 0;
    b.seen.deaf = (message) => message.kind === 'tokens' && dropped++ === 0;
    await meAt(a, LIFETIME_MS);
    expect(server.refreshes).toBe(1);

    const started = performance.now();
    expect((await meAt(b, LIFETIME_MS)).username).toBe(account.username);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(dropped).toBeGreaterThanOrEqual(2);
    expect(server.refreshes).toBe(1);
    expect([a.seen.ended, b.seen.ended]).toEqual([[], []]);
  });

  it('throws a retryable SessionBusyError when no tab answers, and keeps the session', async () => {
    const { a, b, account } = await twoTabs();
    b.seen.deaf = (message) => message.kind === 'tokens';
    await meAt(a, LIFETIME_MS);
    expect(server.refreshes).toBe(1);

    const started = performance.now();
    const failure = await meAt(b, LIFETIME_MS + 1000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SessionBusyError);
    expect((failure as SessionBusyError).retryable).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(server.refreshes).toBe(1);
    expect(await b.auth.isSignedIn()).toBe(true);
    expect((await meAt(a, LIFETIME_MS + 1000)).username).toBe(account.username);

    // Heard again: the retry gets the pair from the other tab.
    b.seen.deaf = () => false;
    expect((await meAt(b, LIFETIME_MS + 1000)).username).toBe(account.username);
    expect(server.refreshes).toBe(1);
    expect([a.seen.ended, b.seen.ended]).toEqual([[], []]);
  });

  it('a logout racing a refresh in another tab revokes the new pair, and no late pair revives it', async () => {
    let slow = false;
    const { a, b } = await twoTabs({
      fetch: async (request) => {
        if (new URL(request.url).pathname === '/auth/refresh') {
          server.refreshes += 1;
          if (slow) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        return fetch(request);
      },
    });
    let refreshed: SessionTokens | undefined;
    b.seen.deaf = (message) => {
      if (message.kind === 'tokens') refreshed = message.tokens;
      return false;
    };
    slow = true;
    const refreshing = meAt(a, LIFETIME_MS);
    // The refresh is out (A holds the refresh lock) when B logs out.
    await expect.poll(() => server.refreshes).toBe(1);
    await b.auth.logOut();
    expect((await refreshing).id).toEqual(expect.any(String));
    expect(server.refreshes).toBe(1);
    expect(refreshed).toBeDefined();

    // The pair the refresh got was revoked by the logout.
    const replay = await fetch(`${baseUrl}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshed!.refreshToken }),
    });
    expect(replay.status).toBe(401);

    // That pair arriving late, again, is not taken back by either tab.
    const late = new BroadcastChannel(`whazz-auth-session:${baseUrl}`);
    late.postMessage({ kind: 'tokens', tokens: refreshed! } satisfies SessionMessage);
    await new Promise((resolve) => setTimeout(resolve, 200));
    late.close();
    await expect.poll(() => a.auth.isSignedIn()).toBe(false);
    expect(await b.auth.isSignedIn()).toBe(false);
    expect(a.seen.ended).toEqual(['ended-in-another-tab']);
    expect(b.seen.ended).toEqual([]);
  });

  it('ends the session only for the answers that say so, not for any 4xx', async () => {
    const problem = (status: number, type: string) =>
      new Response(JSON.stringify({ type, title: 'x', status, detail: 'x' }), {
        status,
        headers: { 'content-type': 'application/problem+json' },
      });
    const answers = [
      problem(400, 'about:blank'),
      problem(401, 'https://whazz.audio/problems/invalid-credentials'),
      problem(403, 'https://whazz.audio/problems/forbidden'),
    ];
    const { a, account } = await twoTabs({
      fetch: (request) =>
        new URL(request.url).pathname === '/auth/refresh' && answers.length > 0
          ? Promise.resolve(answers.shift()!)
          : fetch(request),
    });
    for (const status of [400, 401, 403]) {
      const failure = await meAt(a, LIFETIME_MS).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProblemError);
      expect((failure as ProblemError).status).toBe(status);
      expect(await a.auth.isSignedIn()).toBe(true);
    }
    expect(a.seen.ended).toEqual([]);

    // A disabled account (403 account-disabled) does end it.
    await t.dataSource.query('UPDATE users SET is_active = false WHERE username = $1', [
      account.username,
    ]);
    await expect(meAt(a, LIFETIME_MS)).rejects.toBeInstanceOf(ProblemError);
    expect(a.seen.ended).toEqual(['refresh-refused']);
    expect(await a.auth.isSignedIn()).toBe(false);
  });
});
