import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { IdentityProblemError } from './problem';
import type { components, paths } from './schema';
import { memoryTokenStore, type StoredTokens, type TokenStore } from './token-store';

type Schemas = components['schemas'];
export type User = Schemas['UserDto'];
export type TokenPair = Schemas['TokenPairDto'];
export type MfaChallenge = Schemas['MfaChallengeDto'];
export type RegisterBody = Schemas['RegisterDto'];
export type LoginBody = Schemas['LoginDto'];
export type MfaVerifyBody = Schemas['MfaVerifyDto'];
export type PasskeyLoginBody = Schemas['PasskeyLoginVerifyDto'];

/** The raw typed client (openapi-fetch) for every operation of the document. */
export type IdentityApi = Client<paths>;

/**
 * `bearer`: the app holds both tokens (native, server-side, CLI). `cookie`: a browser app; the refresh
 * token is an HttpOnly cookie, requests carry `credentials: 'include'` and `X-Auth-Mode: cookie`, and
 * the client keeps the CSRF token the API answers with (README "Integrating a browser app").
 */
export type AuthMode = 'bearer' | 'cookie';

export interface IdentityClientOptions {
  /** The API's origin (its PUBLIC_URL), e.g. `https://id.example.com`; the document's paths start with /api/v1. */
  baseUrl: string;
  mode?: AuthMode;
  /** Default: in memory. */
  tokenStore?: TokenStore;
  /** Default: globalThis.fetch. Every request of the client goes through it (a test's cookie jar, a logger). */
  fetch?: (request: Request) => Promise<Response>;
}

/** Login and OAuth exchange answer tokens, or a second-factor challenge for {@link IdentityClient.verifyMfa}. */
export type LoginResult = { mfa_required: false; tokens: TokenPair } | { mfa_required: true; challenge: MfaChallenge };

export interface IdentityClient {
  /** Every operation, typed from the OpenAPI document, with the same auth, refresh and cookie handling. */
  readonly api: IdentityApi;
  readonly mode: AuthMode;
  readonly tokens: TokenStore;
  /** Creates an account (201 User). The verification email is on its way. */
  register(body: RegisterBody): Promise<User>;
  /** Tokens (stored), or an MFA challenge: finish it with verifyMfa. */
  login(body: LoginBody): Promise<LoginResult>;
  /** Signs in with the one-time code of an OAuth callback (`?code=`): tokens (stored) or an MFA challenge, like login. */
  exchangeOAuthCode(code: string): Promise<LoginResult>;
  /** Completes a challenge with `{mfa_token, code}`, `{mfa_token, recovery_code}` or `{mfa_token, webauthn}`; stores the tokens. */
  verifyMfa(body: MfaVerifyBody): Promise<TokenPair>;
  /**
   * Passwordless sign-in with a passkey: `{challenge_id, response}` — the challenge of POST
   * /auth/passkeys/login/options and the browser's assertion for its options; stores the tokens.
   */
  signInWithPasskey(body: PasskeyLoginBody): Promise<TokenPair>;
  /** Rotates the refresh token now; concurrent callers (and the automatic refresh) share one request. */
  refresh(): Promise<TokenPair>;
  /**
   * After a page reload (cookie mode): GET /auth/csrf, then refresh. Null when there is no session to
   * resume (no or dead refresh cookie; in bearer mode: no stored refresh token).
   */
  resume(): Promise<TokenPair | null>;
  /** Revokes the session at the API and forgets the tokens (also when the call fails: then it throws). */
  logout(): Promise<void>;
  me(): Promise<User>;
  /** The CSRF token kept from the API's answers (cookie mode). */
  csrfToken(): string | null;
}

const REFRESH_PATH = '/api/v1/auth/refresh';
const CSRF_PATH = '/api/v1/auth/csrf';

/** The names of the request headers an operation declares (never for none). */
type HeaderNames<Op> = Op extends { parameters: { header?: infer H } } ? ([NonNullable<H>] extends [never] ? never : keyof NonNullable<H>) : never;
/** The paths one of whose operations declares the request header `Name`. */
type PathsDeclaringHeader<Name extends string> = {
  [P in keyof paths]: Name extends HeaderNames<paths[P][Exclude<keyof paths[P], 'parameters'>]> ? P : never;
}[keyof paths];

/**
 * The operations that honour `X-Auth-Mode: cookie` (they issue or clear the refresh cookie) and those
 * that read `X-CSRF-Token`. Typed as Records over what the document declares, so tsc fails when an
 * operation gains or loses the header until the lists follow.
 */
const COOKIE_MODE_PATHS: Record<PathsDeclaringHeader<'X-Auth-Mode'>, true> = {
  '/api/v1/auth/login': true,
  '/api/v1/auth/refresh': true,
  '/api/v1/auth/logout': true,
  '/api/v1/auth/mfa/verify': true,
  '/api/v1/auth/passkeys/login/verify': true,
  '/api/v1/oauth/exchange': true,
};
const CSRF_PATHS: Record<PathsDeclaringHeader<'X-CSRF-Token'>, true> = {
  '/api/v1/auth/refresh': true,
  '/api/v1/auth/logout': true,
};

/**
 * A typed client of the identity API: openapi-fetch over the generated schema, plus what every app
 * writes by hand otherwise — token storage, the bearer header, one refresh for any number of calls
 * that meet 401 `token_expired` (each retried once), cookie mode, and problem documents as errors.
 */
export function createIdentityClient(options: IdentityClientOptions): IdentityClient {
  const mode = options.mode ?? 'bearer';
  const store = options.tokenStore ?? memoryTokenStore();
  const transport = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  let csrf: string | null = null;
  let refreshing: Promise<TokenPair> | null = null;
  /** The last failed refresh and the access token it was for: late answers to that token share its error. */
  let ended: { token: string | undefined; error: IdentityProblemError } | null = null;
  /** The access token the auth middleware put on a request (absent: the caller's own header, or none). */
  const attached = new WeakMap<Request, string>();

  const api = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: send,
    ...(mode === 'cookie' ? { credentials: 'include' as const } : {}),
  });

  const auth: Middleware = {
    async onRequest({ request, schemaPath }) {
      if (mode === 'cookie') {
        if (schemaPath in COOKIE_MODE_PATHS) request.headers.set('X-Auth-Mode', 'cookie');
        if (schemaPath in CSRF_PATHS && csrf && !request.headers.has('X-CSRF-Token')) request.headers.set('X-CSRF-Token', csrf);
      }
      // the refresh call must not depend on the (expired) access token; a caller's own header wins
      if (schemaPath === REFRESH_PATH || request.headers.has('Authorization')) return request;
      const token = (await store.get())?.access_token;
      if (token) {
        request.headers.set('Authorization', `Bearer ${token}`);
        attached.set(request, token);
      }
      return request;
    },
  };
  api.use(auth);

  /** openapi-fetch's transport: keeps the CSRF token, and renews an expired access token once per request. */
  async function send(request: Request): Promise<Response> {
    const used = attached.get(request);
    // a request's body can be read once: keep a copy for the retry
    const retry = used === undefined ? undefined : request.clone();
    const response = observe(await transport(request));
    if (retry === undefined || used === undefined || !(await isTokenExpired(response))) return response;
    const token = await renewedAccessToken(used);
    if (token === null) return response;
    retry.headers.set('Authorization', `Bearer ${token}`);
    return observe(await transport(retry));
  }

  function observe(response: Response): Response {
    const token = response.headers.get('X-CSRF-Token');
    if (mode === 'cookie' && token) csrf = token;
    return response;
  }

  /** The access token to retry with: a refresh in flight, one that finished meanwhile, or a new one. */
  async function renewedAccessToken(used: string): Promise<string | null> {
    if (refreshing) return (await refreshing).access_token;
    if (ended && ended.token === used) throw ended.error;
    const stored = await store.get();
    if (stored && stored.access_token !== used) return stored.access_token;
    if (mode === 'bearer' && !stored?.refresh_token) return null;
    return (await refresh()).access_token;
  }

  function refresh(): Promise<TokenPair> {
    refreshing ??= doRefresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function doRefresh(): Promise<TokenPair> {
    const current = (await store.get())?.access_token;
    try {
      const fetchedCsrf = mode === 'cookie' && !csrf;
      if (fetchedCsrf) await fetchCsrf();
      const refreshToken = mode === 'bearer' ? (await store.get())?.refresh_token : undefined;
      const post = () => api.POST(REFRESH_PATH, { body: refreshToken ? { refresh_token: refreshToken } : {} });
      let { data, error, response } = await post();
      // another tab rotated the shared cookie: our CSRF token was bound to its predecessor
      if (!data && mode === 'cookie' && !fetchedCsrf && error?.code === 'csrf_failed') {
        await fetchCsrf();
        ({ data, error, response } = await post());
      }
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return await keep(data);
    } catch (err) {
      // the session is over (unknown, reused or revoked token, disabled user, CSRF): forget it; a
      // network failure, 429 or 5xx says nothing about the session, so the tokens stay
      if (err instanceof IdentityProblemError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        await forget();
        ended = { token: current, error: err };
      }
      throw err;
    }
  }

  async function fetchCsrf(): Promise<string> {
    const { data, error, response } = await api.GET(CSRF_PATH);
    if (!data) throw IdentityProblemError.fromResponse(response, error);
    csrf = data.csrf_token;
    return csrf;
  }

  async function keep(pair: TokenPair): Promise<TokenPair> {
    const tokens: StoredTokens = { access_token: pair.access_token, session_id: pair.session_id, expires_at: Date.now() + pair.expires_in * 1000 };
    if (mode === 'bearer' && pair.refresh_token) tokens.refresh_token = pair.refresh_token;
    ended = null;
    await store.set(tokens);
    return pair;
  }

  async function signedInOrChallenged(data: TokenPair | MfaChallenge): Promise<LoginResult> {
    if ('mfa_required' in data) return { mfa_required: true, challenge: data };
    return { mfa_required: false, tokens: await keep(data) };
  }

  async function forget(): Promise<void> {
    csrf = null;
    await store.clear();
  }

  return {
    api,
    mode,
    tokens: store,
    csrfToken: () => csrf,
    refresh,

    async register(body) {
      const { data, error, response } = await api.POST('/api/v1/auth/register', { body });
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return data;
    },

    async login(body) {
      const { data, error, response } = await api.POST('/api/v1/auth/login', { body });
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return signedInOrChallenged(data);
    },

    async exchangeOAuthCode(code) {
      const { data, error, response } = await api.POST('/api/v1/oauth/exchange', { body: { code } });
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return signedInOrChallenged(data);
    },

    async verifyMfa(body) {
      const { data, error, response } = await api.POST('/api/v1/auth/mfa/verify', { body });
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return keep(data);
    },

    async signInWithPasskey(body) {
      const { data, error, response } = await api.POST('/api/v1/auth/passkeys/login/verify', { body });
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return keep(data);
    },

    async resume() {
      if (mode === 'bearer' && !(await store.get())?.refresh_token) return null;
      // after a reload the CSRF token in memory is gone; a stale one would fail the refresh
      if (mode === 'cookie' && !refreshing) csrf = null;
      try {
        return await refresh();
      } catch (err) {
        if (err instanceof IdentityProblemError && err.status === 401) return null;
        throw err;
      }
    },

    async logout() {
      try {
        const stored = await store.get();
        if (mode === 'bearer' && !stored) return;
        if (mode === 'cookie' && !csrf && !stored) await fetchCsrf().catch(() => undefined);
        // bearer mode: the refresh token in the body also works when the access token is gone
        const body = mode === 'bearer' && stored?.refresh_token ? { refresh_token: stored.refresh_token } : undefined;
        const { error, response } = await api.POST('/api/v1/auth/logout', body ? { body } : {});
        // 401: the session was already over, which is what the caller wants
        if (!response.ok && response.status !== 401) throw IdentityProblemError.fromResponse(response, error);
      } finally {
        await forget();
      }
    },

    async me() {
      const { data, error, response } = await api.GET('/api/v1/auth/me');
      if (!data) throw IdentityProblemError.fromResponse(response, error);
      return data;
    },
  };
}

async function isTokenExpired(response: Response): Promise<boolean> {
  if (response.status !== 401 || !/json/.test(response.headers.get('Content-Type') ?? '')) return false;
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return body.code === 'token_expired';
  } catch {
    return false;
  }
}
