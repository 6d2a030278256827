/** A session's tokens, and when the access token stops working by this client's clock. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds: receipt time plus `expires_in` (the client's clock, not the JWT's). */
  expiresAt: number;
  /** Epoch milliseconds: from then on the next request refreshes first. */
  refreshAt: number;
  /** Counts the pairs of this session (1 for the login's); tabs use it to tell newer from older. */
  generation?: number;
}

/**
 * Where a client keeps its session. The default keeps it in memory only: a reload logs out.
 * A mobile app keeps it in the platform's secure storage (Keychain, Keystore) instead; a web
 * page should not put a refresh token in localStorage, where any script of the origin reads it.
 */
export interface TokenStore {
  load(): SessionTokens | null | Promise<SessionTokens | null>;
  /** `null` when the session ended. */
  save(tokens: SessionTokens | null): void | Promise<void>;
}

export function memoryTokenStore(initial: SessionTokens | null = null): TokenStore {
  let tokens = initial;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}
