import { generateToken, safeEqual, sha256 } from '@app/common';
import type { KeyValueStore } from '@app/redis';
import type { OAuthProviderName } from '../oauth-provider';

export const STATE_TTL_MS = 10 * 60 * 1000;

/** What initiate (or link) decided, kept server-side under the `state` handle until the callback. */
export interface OAuthFlow {
  provider: OAuthProviderName;
  /** a validated path on FRONTEND_URL, handed back to the front end with the result */
  redirectTo: string | null;
  /** set for a link flow: the signed-in caller the provider account is linked to */
  link: { userId: string; sessionId: string } | null;
  /** SHA-256 of the flow-cookie nonce of the browser that started the flow (login CSRF defence) */
  browser: string;
}

interface StoredFlow extends OAuthFlow {
  /** the PKCE code_verifier; only this server ever sees it */
  verifier: string | null;
}

/** The store could not be reached: initiate answers 503, the callback redirects `service_unavailable`. */
export class StateStoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The OAuth state store is unavailable', { cause });
    this.name = 'StateStoreUnavailableError';
  }
}

/** What `verify` reports for a state it does not know (passport-oauth2 passes it to `fail`). */
export const INVALID_STATE = { code: 'invalid_state', message: 'Unknown, expired or already used state' } as const;

const key = (handle: string) => `oauth:state:${sha256(handle)}`;

/**
 * passport-oauth2's state store, on the shared KeyValueStore instead of a session store: the
 * `state` sent to the provider is a random handle; under its hash we keep the PKCE verifier,
 * the validated `redirect_to` and, for link flows, the linking user — for 10 minutes, and
 * `verify` takes it with GETDEL, so a state works once on whichever node gets the callback.
 *
 * The method arities matter: passport-oauth2 picks the call signature by `Function.length`
 * (`store(req, verifier, state, meta, cb)` is the PKCE form, `verify(req, state, cb)`).
 */
export class KeyValueStateStore {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly provider: OAuthProviderName,
  ) {}

  store(
    _req: unknown,
    verifier: string | undefined,
    state: Partial<OAuthFlow> | undefined,
    _meta: unknown,
    done: (err: Error | null, handle?: string) => void,
  ): void {
    const handle = generateToken(32);
    if (!state?.browser) return done(new Error('an OAuth flow must be bound to a browser'));
    const flow: StoredFlow = {
      provider: this.provider,
      redirectTo: state.redirectTo ?? null,
      link: state.link ?? null,
      browser: state.browser,
      verifier: verifier ?? null,
    };
    this.kv.set(key(handle), JSON.stringify(flow), STATE_TTL_MS).then(
      () => done(null, handle),
      (err) => done(new StateStoreUnavailableError(err)),
    );
  }

  verify(req: { flowNonce?: string }, provided: unknown, done: (err: Error | null, ok: string | boolean, state?: unknown) => void): void {
    this.consume(provided, req.flowNonce).then(
      (flow) => {
        if (!flow) return done(null, false, INVALID_STATE);
        const { verifier, ...rest } = flow;
        // a string `ok` is the PKCE code_verifier that passport-oauth2 sends to the token endpoint
        done(null, verifier ?? true, rest);
      },
      (err) => done(err instanceof StateStoreUnavailableError ? err : new StateStoreUnavailableError(err), false),
    );
  }

  /**
   * Takes (single use) the flow behind a state handle; null when unknown, expired, used, for
   * another provider, or started by another browser (the flow cookie's nonce does not match:
   * an attacker's half-finished callback opened by a victim). A mismatch spends the state too.
   */
  async consume(provided: unknown, flowNonce: string | undefined): Promise<StoredFlow | null> {
    if (typeof provided !== 'string' || provided.length === 0 || provided.length > 256) return null;
    let raw: string | null;
    try {
      raw = await this.kv.take(key(provided));
    } catch (err) {
      throw new StateStoreUnavailableError(err);
    }
    if (!raw) return null;
    try {
      const flow = JSON.parse(raw) as StoredFlow;
      if (flow.provider !== this.provider || !flowNonce || typeof flow.browser !== 'string') return null;
      return safeEqual(flow.browser, sha256(flowNonce)) ? flow : null;
    } catch {
      return null;
    }
  }
}
