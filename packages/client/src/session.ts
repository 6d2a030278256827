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

/**
 * How long a tab that holds the refresh lock waits for a newer pair another tab announced:
 * first for the message that pair's tab sent, then for an answer to asking for it. Measured
 * on the clock, not in timer steps, which a hidden tab stretches to a second each.
 */
const PAIR_MESSAGE_WAIT_MS = 1000;
const PAIR_REQUEST_WAIT_MS = 2000;

/** Milliseconds that only go forward (the `now` option is the tokens' clock, moved by tests). */
const elapsedClock = (): number => globalThis.performance?.now() ?? Date.now();

/**
 * The service's answers to a refresh that mean the session is over (src/auth/auth.errors.ts).
 * Any other failure, a 4xx included, leaves the session as it is.
 */
const SESSION_ENDING_PROBLEMS: Record<string, number> = {
  'invalid-refresh-token': 401,
  'refresh-token-reused': 401,
  'account-disabled': 403,
};

export const endsSession = (error: unknown): boolean =>
  error instanceof ProblemError &&
  error.code !== undefined &&
  SESSION_ENDING_PROBLEMS[error.code] === error.status;

/**
 * Another tab refreshed, but its pair has not reached this one: the session goes on, try
 * again. Thrown rather than spending the refresh token already spent, which ends the session.
 */
export class SessionBusyError extends Error {
  readonly retryable = true;
  constructor() {
    super('The newer token pair another tab got has not reached this one yet; try again.');
    this.name = 'SessionBusyError';
  }
}

/** The signed-in state of one client: its tokens, and one refresh at a time across tabs. */
export class Session {
  private tokens: SessionTokens | null = null;
  private loaded = false;
  private refreshing: Promise<SessionTokens | null> | null = null;
  private endNotified = false;
  /** The newest generation whose session ended; a pair of it or older is never taken back. */
  private endedGeneration = 0;
  /** Calls waiting for this tab's pair to change (see holdGeneration). */
  private readonly waiters = new Set<() => void>();
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
    return this.share(this.tokensFrom(pair, (await this.newestKnown()) + 1));
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

  /**
   * Runs `revoke` with the newest pair while holding the refresh lock, then forgets the
   * session here and in the other tabs. A refresh in flight in any tab finishes first, so the
   * pair it got is the one revoked, and no late pair brings the session back.
   */
  async endAfter<T>(
    revoke: (tokens: SessionTokens, refresh: () => Promise<SessionTokens | null>) => Promise<T>,
  ): Promise<T | undefined> {
    return this.tabs.exclusive(async () => {
      await this.current();
      await this.holdGeneration(await this.tabs.newest(), PAIR_MESSAGE_WAIT_MS);
      const tokens = this.tokens;
      const result = tokens
        ? await revoke(tokens, () => this.refreshUnlessDone(tokens))
        : undefined;
      await this.forget();
      this.tabs.publish({ kind: 'logged-out', generation: this.endedGeneration });
      return result;
    });
  }

  close(): void {
    this.tabs.close();
  }

  private async refreshUnlessDone(seen: SessionTokens): Promise<SessionTokens | null> {
    // A newer pair another tab got may still be on its way here as a message: wait for it,
    // then ask for it, rather than spend a refresh token already spent (which ends the session).
    const newest = await this.tabs.newest();
    if (!(await this.holdGeneration(newest, PAIR_MESSAGE_WAIT_MS))) {
      this.tabs.publish({ kind: 'request-tokens', generation: newest });
      if (!(await this.holdGeneration(newest, PAIR_REQUEST_WAIT_MS))) throw new SessionBusyError();
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
    // Ended (or replaced) while the refresh was out: its answer does not bring the session back.
    if (this.tokens !== latest) return this.tokens;
    return this.share(this.tokensFrom(pair, (await this.newestKnown()) + 1));
  }

  /** The newest generation this tab has seen held or ended anywhere in the origin. */
  private async newestKnown(): Promise<number> {
    return Math.max(await this.tabs.newest(), this.tokens?.generation ?? 0, this.endedGeneration);
  }

  /**
   * Waits until this tab holds the pair of `generation` (or a newer one), or has none: true
   * then, false once `ms` have passed on the clock. Woken by each change of this tab's pair.
   */
  private async holdGeneration(generation: number, ms: number): Promise<boolean> {
    const deadline = elapsedClock() + ms;
    while (this.tokens && (this.tokens.generation ?? 0) < generation) {
      const left = deadline - elapsedClock();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
    return true;
  }

  private changed(): void {
    for (const wake of [...this.waiters]) wake();
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
    this.changed();
    await this.options.store.save(tokens);
  }

  /** No session here any more; its generation and older ones stay ended. */
  private async forget(): Promise<void> {
    this.endedGeneration = Math.max(this.endedGeneration, this.tokens?.generation ?? 0);
    this.tokens = null;
    this.loaded = true;
    this.changed();
    await this.options.store.save(null);
  }

  private async endedByService(reason: SessionEndReason, generation = 0): Promise<void> {
    const hadSession = this.tokens !== null;
    this.endedGeneration = Math.max(this.endedGeneration, generation);
    await this.forget();
    if (reason === 'refresh-refused') {
      this.tabs.publish({ kind: 'ended', generation: this.endedGeneration });
    }
    if (hadSession && !this.endNotified) {
      this.endNotified = true;
      this.options.onSessionEnded?.(reason);
    }
  }

  private receive(message: SessionMessage): void {
    switch (message.kind) {
      case 'tokens': {
        const generation = message.tokens.generation ?? 0;
        // A pair of an ended session, or one overtaken by a newer pair, is not taken back.
        if (generation <= this.endedGeneration) return;
        if (this.tokens && generation <= (this.tokens.generation ?? 0)) return;
        void this.adopt(message.tokens);
        // Marked here too: the generation outlives the tab that refreshed, if it closes.
        void this.tabs.mark(generation);
        return;
      }
      case 'request-tokens':
        if (this.tokens && (this.tokens.generation ?? 0) >= message.generation) {
          this.tabs.publish({ kind: 'tokens', tokens: this.tokens });
        }
        return;
      case 'ended':
      case 'logged-out':
        void this.endedByService('ended-in-another-tab', message.generation);
        return;
    }
  }
}
