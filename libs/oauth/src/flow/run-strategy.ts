import type { Strategy } from 'passport';

export type StrategyOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: unknown; info: Record<string, unknown> }
  | { kind: 'fail'; challenge: unknown }
  | { kind: 'error'; err: unknown };

export class ProviderTimeoutError extends Error {
  constructor(ms: number) {
    super(`The provider did not answer within ${ms} ms`);
    this.name = 'ProviderTimeoutError';
  }
}

/** The request fields a strategy reads: callers pass only what they validated. */
export interface StrategyRequest {
  query: Record<string, string | undefined>;
  body: Record<string, unknown>;
  /** the callback's flow-cookie nonce, checked by the state store's `verify` */
  flowNonce?: string;
}

/**
 * Runs a passport strategy once and resolves with what it decided, the way passport's own
 * `authenticate` middleware does (an `Object.create` of the strategy with the action methods
 * attached). Unlike the middleware (and Nest's AuthGuard on top of it), a redirect does not
 * write the response: link needs the authorize URL as JSON, and a hung promise would be left
 * behind when the strategy redirects. The `oauth` HTTP client has no timeout, hence the deadline.
 */
export function runStrategy(strategy: Strategy, req: StrategyRequest, options: object, deadlineMs = 15000): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: StrategyOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'error', err: new ProviderTimeoutError(deadlineMs) }), deadlineMs);
    timer.unref();

    const run = Object.create(strategy) as Strategy & {
      success(user: unknown, info?: Record<string, unknown>): void;
      fail(challenge?: unknown, status?: number): void;
      redirect(url: string, status?: number): void;
      pass(): void;
      error(err: unknown): void;
    };
    run.success = (user, info) => settle({ kind: 'success', user, info: info ?? {} });
    run.fail = (challenge) => settle({ kind: 'fail', challenge });
    run.redirect = (url) => settle({ kind: 'redirect', url });
    run.pass = () => settle({ kind: 'fail', challenge: undefined });
    run.error = (err) => settle({ kind: 'error', err });
    try {
      (run.authenticate as (req: unknown, options: object) => void).call(run, req, options);
    } catch (err) {
      settle({ kind: 'error', err });
    }
  });
}
