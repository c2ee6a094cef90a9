/** What the client keeps between calls. */
export interface StoredTokens {
  access_token: string;
  /** Bearer mode only: in cookie mode the refresh token is an HttpOnly cookie that scripts never see. */
  refresh_token?: string;
  session_id?: string;
  /** When the access token expires (epoch milliseconds, from `expires_in`). */
  expires_at?: number;
}

/**
 * Where the client keeps the tokens: memory by default. An app that must survive a reload in bearer
 * mode (a native or server-side app) supplies its own (secure storage, a database row); a browser app
 * should prefer cookie mode, which keeps the refresh token out of reach of scripts. Each hook may be
 * synchronous or return a promise.
 */
export interface TokenStore {
  get(): StoredTokens | null | Promise<StoredTokens | null>;
  set(tokens: StoredTokens): void | Promise<void>;
  clear(): void | Promise<void>;
}

/** The default store: a variable, gone with the page or process. */
export function memoryTokenStore(initial: StoredTokens | null = null): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
    clear: () => {
      tokens = null;
    },
  };
}
