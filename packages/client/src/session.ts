import { crossTab, singleProcess, type CrossTab, type SessionMessage } from './cross-tab.js';
import { ProblemError } from './problem-error.js';
import type { SessionTokens, TokenStore } from './token-store.js';

/** A token pair as the service answers it (login, second factor, refresh, social login). */
export interface TokenPairBody {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** Why `onSessionEnded` was called. */
export type SessionEndReason =
  /** The service refused the refresh token: revoked (log out elsewhere, admin), reused, expired. */
  | 'refresh-refused'
  /** Another tab of the origin logged out, or learned the session had ended. */
  | 'ended-in-another-tab';

export interface SessionOptions {
  store: TokenStore;
  /** Exchanges a refresh token for a pair; throws ProblemError for an answer, else what fetch threw. */
  refresh(refreshToken: string): Promise<TokenPairBody>;
  onSessionEnded?: (reason: SessionEndReason) => void;
  /** Share the session with the other tabs of the origin (Web Locks, BroadcastChannel). */
  crossTabName: string | false;
  now: () => number;
}

/** At most a minute, and a fifth of the token's life, before it expires. */
const MAX_REFRESH_MARGIN_MS = 60_000;
const REFRESH_MARGIN_SHARE = 0.2;

/** How long a tab waits for a newer pair another tab announced, and how often it looks. */
const MAX_PAIR_WAIT_MS = 3000;
const PAIR_WAIT_STEP_MS = 10;

/** A refresh answer that says the session is over; 408 and 429 only say "not now". */
const endsSession = (error: unknown): boolean =>
  error instanceof ProblemError &&
  error.status >= 400 &&
  error.status < 500 &&
  error.status !== 408 &&
  error.status !== 429;

/** The signed-in state of one client: its tokens, and one refresh at a time across tabs. */
export class Session {
  private tokens: SessionTokens | null = null;
  private loaded = false;
  private refreshing: Promise<SessionTokens | null> | null = null;
  private endNotified = false;
  private readonly tabs: CrossTab;

  constructor(private readonly options: SessionOptions) {
    this.tabs = options.crossTabName
      ? crossTab(options.crossTabName, (message) => this.receive(message))
      : singleProcess();
  }

  tokensFrom(pair: TokenPairBody, generation: number): SessionTokens {
    const now = this.options.now();
    const lifetimeMs = pair.expires_in * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_MARGIN_SHARE);
    return {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: now + lifetimeMs,
      refreshAt: now + lifetimeMs - margin,
      generation,
    };
  }

  async current(): Promise<SessionTokens | null> {
    if (!this.loaded) {
      const stored = await this.options.store.load();
      // A pair that arrived from another tab while the store was read is the newer one.
      if (!this.loaded) this.tokens = stored;
      this.loaded = true;
    }
    return this.tokens;
  }

  /** A new login (or social login, or second factor) in this tab. */
  async start(pair: TokenPairBody): Promise<SessionTokens> {
    const newest = Math.max(await this.tabs.newest(), this.tokens?.generation ?? 0);
    return this.share(this.tokensFrom(pair, newest + 1));
  }

  /** An access token good for a while yet, refreshed first when it is about to expire. */
  async accessToken(): Promise<string | null> {
    const tokens = await this.current();
    if (!tokens) return null;
    if (this.options.now() < tokens.refreshAt) return tokens.accessToken;
    try {
      return (await this.refresh(tokens))?.accessToken ?? null;
    } catch (error) {
      // An early refresh that did not get through (offline, a 503): the token still works.
      if (this.options.now() < tokens.expiresAt) return tokens.accessToken;
      throw error;
    }
  }

  /**
   * Exchanges `seen`'s refresh token, unless another call or tab already did: one refresh in
   * flight per session. Resolves to null when the service ended the session.
   */
  refresh(seen: SessionTokens): Promise<SessionTokens | null> {
    this.refreshing ??= this.tabs
      .exclusive(() => this.refreshUnlessDone(seen))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  async end(): Promise<void> {
    this.tokens = null;
    this.loaded = true;
    await this.options.store.save(null);
    this.tabs.publish({ kind: 'logged-out' });
  }

  close(): void {
    this.tabs.close();
  }

  private async refreshUnlessDone(seen: SessionTokens): Promise<SessionTokens | null> {
    // A newer pair another tab got may still be on its way here as a message: wait for it
    // rather than spend a refresh token that was already spent (which ends the session).
    const newest = await this.tabs.newest();
    for (let waited = 0; (this.tokens?.generation ?? 0) < newest; waited += PAIR_WAIT_STEP_MS) {
      if (waited >= MAX_PAIR_WAIT_MS || !this.tokens) break;
      await new Promise((resolve) => setTimeout(resolve, PAIR_WAIT_STEP_MS));
    }
    const latest = this.tokens;
    if (!latest || latest.refreshToken !== seen.refreshToken) return latest;
    let pair: TokenPairBody;
    try {
      pair = await this.options.refresh(latest.refreshToken);
    } catch (error) {
      if (!endsSession(error)) throw error;
      await this.endedByService('refresh-refused');
      return null;
    }
    return this.share(this.tokensFrom(pair, Math.max(newest, latest.generation ?? 0) + 1));
  }

  /** Adopts a pair this tab got, marks its generation, then tells the other tabs. */
  private async share(tokens: SessionTokens): Promise<SessionTokens> {
    await this.adopt(tokens);
    await this.tabs.mark(tokens.generation ?? 0);
    this.tabs.publish({ kind: 'tokens', tokens });
    return tokens;
  }

  private async adopt(tokens: SessionTokens): Promise<void> {
    this.tokens = tokens;
    this.loaded = true;
    this.endNotified = false;
    await this.options.store.save(tokens);
  }

  private async endedByService(reason: SessionEndReason): Promise<void> {
    const hadSession = this.tokens !== null;
    this.tokens = null;
    this.loaded = true;
    await this.options.store.save(null);
    if (reason === 'refresh-refused') this.tabs.publish({ kind: 'ended' });
    if (hadSession && !this.endNotified) {
      this.endNotified = true;
      this.options.onSessionEnded?.(reason);
    }
  }

  private receive(message: SessionMessage): void {
    switch (message.kind) {
      case 'tokens':
        // Older pairs (a message overtaken by a newer one) are not taken back.
        if ((message.tokens.generation ?? 0) < (this.tokens?.generation ?? 0)) return;
        void this.adopt(message.tokens);
        // Marked here too: the generation outlives the tab that refreshed, if it closes.
        void this.tabs.mark(message.tokens.generation ?? 0);
        return;
      case 'ended':
      case 'logged-out':
        void this.endedByService('ended-in-another-tab');
        return;
    }
  }
}
