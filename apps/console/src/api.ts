import { createIdentityClient, IdentityProblemError, type components, type paths, unwrap } from '@identity-backend/client';

/**
 * The console's one client of the API: the typed client in cookie mode on the console's own origin
 * (the API serves the console), so the refresh token stays in its HttpOnly, SameSite=Strict cookie
 * and the access token only in memory. A reload resumes through GET /auth/csrf + refresh.
 */
export const client = createIdentityClient({ baseUrl: location.origin, mode: 'cookie' });
export const api = client.api;

export type Schemas = components['schemas'];
export type User = Schemas['UserDto'];
export type AdminSession = Schemas['AdminSessionDto'];
export type AuditEvent = Schemas['AuditEventDto'];
export type DetailedHealth = Schemas['DetailedHealthDto'];
/** The JSON body of a GET's 200 answer, by path. */
export type Ok<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer T } } } } } ? T : never;
export type Page<T> = { items: T[]; next_cursor: string | null };

/** What a failed call shows the admin: the problem's `detail` (with its code), or what went wrong on the way. */
export function problemText(err: unknown): string {
  if (err instanceof IdentityProblemError) {
    const detail = err.detail || err.title || `HTTP ${err.status}`;
    return err.code === 'unexpected_response' ? detail : `${detail} (${err.code})`;
  }
  if (err instanceof TypeError) return 'The API did not answer (network error). Check the connection and try again.';
  return err instanceof Error ? err.message : 'The request failed';
}

let sessionEndedListener: ((reason: string) => void) | null = null;

/** The App's way back to the sign-in page when the API says the session is over. */
export function onSessionEnded(listener: ((reason: string) => void) | null): void {
  sessionEndedListener = listener;
}

/**
 * A failed call's error, seen by the App first: a 401 means the session is over (revoked — perhaps
 * from this very console —, expired beyond refresh, the user disabled): the console goes back to
 * its sign-in page and says why.
 */
export function seen<E>(err: E): E {
  if (err instanceof IdentityProblemError && err.status === 401) sessionEndedListener?.(problemText(err));
  return err;
}

/** The data of a call, or its problem thrown (the client's `unwrap`), seen first. */
export function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  return unwrap(request).catch((err: unknown) => {
    throw seen(err);
  });
}
