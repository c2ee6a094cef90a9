import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OutboxDeliveryService } from '@app/email';
import {
  createIdentityClient,
  IdentityClient,
  IdentityClientOptions,
  IdentityProblemError,
  isIdentityProblem,
  memoryTokenStore,
  unwrap,
} from '../packages/client/src';
import { bearer, forge, PASSWORD, uniqueEmail } from './support/auth';
import { FakeResend } from './support/fake-resend';
import { startTestApp, TestApp } from './support/test-app';
import { totpCode } from './support/totp';

/**
 * The TypeScript client (packages/client, issue 20) against the real server over HTTP: the flows an
 * app runs, the single-flight refresh, cookie mode, problem errors. Every JSON answer the client
 * receives is also checked against the OpenAPI document the server serves (/docs-json), so these
 * tests fail when the server and the document the client was generated from disagree; the first
 * test fails when the committed schema.d.ts is not what the document generates.
 */

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const COMMITTED_SCHEMA = join(ROOT, 'packages/client/src/schema.d.ts');

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
}
interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
}

/** What a value breaks of an OpenAPI 3.0 schema (the subset the document uses): missing, unknown or mistyped fields. */
function violations(doc: OpenApi, schema: Schema, value: unknown, at: string): string[] {
  if (schema.$ref) return violations(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')], value, at);
  if (schema.allOf) return violations(doc, merge(doc, schema.allOf), value, at);
  if (schema.oneOf) {
    const fits = schema.oneOf.filter((s) => violations(doc, s, value, at).length === 0).length;
    return fits === 1 ? [] : [`${at}: fits ${fits} of the oneOf schemas`];
  }
  if (value === null) return schema.nullable ? [] : [`${at}: null`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'string':
    case 'boolean':
    case 'number':
      return typeof value === type ? [] : [`${at}: ${typeof value}, not ${type}`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => violations(doc, schema.items ?? {}, v, `${at}[${i}]`)) : [`${at}: not an array`];
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      const obj = value as Record<string, unknown>;
      const props = schema.properties ?? {};
      const out = (schema.required ?? []).filter((k) => !(k in obj)).map((k) => `${at}.${k}: missing`);
      for (const [k, v] of Object.entries(obj)) {
        if (props[k]) out.push(...violations(doc, props[k], v, `${at}.${k}`));
        else if (schema.additionalProperties === undefined || schema.additionalProperties === false) out.push(`${at}.${k}: not in the document`);
      }
      return out;
    }
    default:
      return [];
  }
}

function merge(doc: OpenApi, parts: Schema[]): Schema {
  const resolved = parts.map((p) => (p.$ref ? doc.components.schemas[p.$ref.replace('#/components/schemas/', '')] : p));
  return {
    type: 'object',
    properties: Object.assign({}, ...resolved.map((p) => p.properties ?? {})),
    required: resolved.flatMap((p) => p.required ?? []),
  };
}

interface Sent {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  credentials: string;
}

/**
 * The `fetch` given to the clients of one test: records every request, keeps cookies like a browser
 * would for the API's origin (a tiny jar: name → value, Path respected, Max-Age ≤ 0 or a past Expires deletes), and checks
 * every JSON answer against the served document.
 */
class Wire {
  readonly sent: Sent[] = [];
  readonly problems: string[] = [];
  readonly cookies = new Map<string, { value: string; path: string; attributes: string }>();
  constructor(private readonly doc: OpenApi) {}

  fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const jar = [...this.cookies].filter(([, c]) => url.pathname.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
    if (jar.length) request.headers.set('Cookie', jar.join('; '));
    const response = await fetch(request);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      const maxAge = attrs.find((a) => /^max-age=/i.test(a))?.slice(8);
      const expires = attrs.find((a) => /^expires=/i.test(a))?.slice(8);
      if ((maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now())) this.cookies.delete(name);
      else this.cookies.set(name, { value, path, attributes: attrs.join('; ') });
    }
    this.sent.push({ method: request.method, path: url.pathname, status: response.status, headers: request.headers, credentials: request.credentials });
    await this.check(request.method, url.pathname, response.clone());
    return response;
  };

  count(method: string, path: string): number {
    return this.sent.filter((s) => s.method === method && s.path === path).length;
  }

  private async check(method: string, pathname: string, response: Response): Promise<void> {
    const type = (response.headers.get('Content-Type') ?? '').split(';')[0];
    if (!type.endsWith('json')) return;
    const entry = Object.entries(this.doc.paths).find(([template]) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
    const responses = entry?.[1][method.toLowerCase()]?.responses;
    const documented = responses?.[String(response.status)] ?? responses?.default;
    const schema = documented?.content?.[type]?.schema;
    const where = `${method} ${pathname} ${response.status} ${type}`;
    if (!schema) return void this.problems.push(`${where}: not in the document`);
    this.problems.push(...violations(this.doc, schema, await response.json(), where));
  }
}

describe('packages/client against the real server', () => {
  const resend = new FakeResend();
  let t: TestApp;
  let baseUrl = '';
  let doc: OpenApi;
  let wire: Wire;
  const deliver = () => t.app.get(OutboxDeliveryService).runOnce();

  const client = (options: Partial<IdentityClientOptions> = {}): IdentityClient => createIdentityClient({ baseUrl, fetch: wire.fetch, ...options });

  /** A registered user with a verified email (REQUIRE_EMAIL_VERIFICATION is on), signed in with a client of its own. */
  async function signedIn(role: 'user' | 'admin' = 'user', options: Partial<IdentityClientOptions> = {}) {
    const c = client(options);
    const email = uniqueEmail(role);
    const user = await c.register({ email, password: PASSWORD });
    await t.sql(`UPDATE users SET email_verified_at = now(), role = $2 WHERE id = $1`, [user.id, role]);
    const login = await c.login({ email, password: PASSWORD });
    if (login.mfa_required) throw new Error('unexpected MFA challenge');
    return { c, user, email, tokens: login.tokens };
  }

  async function problemOf(promise: Promise<unknown>): Promise<IdentityProblemError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof IdentityProblemError)) throw new Error(`expected an IdentityProblemError, got ${String(err)}`);
    return err;
  }

  beforeAll(async () => {
    await resend.start();
    t = await startTestApp({
      REQUIRE_EMAIL_VERIFICATION: 'true',
      RESEND_API_KEY: 're_test_key',
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Identity <id@example.com>',
    });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    doc = (await (await fetch(`${baseUrl}/docs-json`)).json()) as OpenApi;
  });

  afterAll(async () => {
    await t?.close();
    await resend.stop();
  });

  beforeEach(() => {
    wire = new Wire(doc);
  });

  afterEach(() => {
    // every JSON answer of the test fits the document the client is generated from
    expect(wire.problems).toEqual([]);
  });

  it('the committed schema.d.ts is what openapi-typescript generates from the document (npm run client:generate)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-schema-'));
    try {
      await run('npm', ['run', '--silent', 'openapi', '--', join(dir, 'openapi.json')], { cwd: ROOT });
      await run('npm', ['run', '--silent', 'client:schema', '--', join(dir, 'openapi.json'), join(dir, 'schema.d.ts')], { cwd: ROOT });
      const fresh = readFileSync(join(dir, 'schema.d.ts'), 'utf8').split('\n');
      const committed = readFileSync(COMMITTED_SCHEMA, 'utf8').split('\n');
      const line = fresh.findIndex((l, i) => l !== committed[i]);
      // on failure: run `npm run client:generate` and commit packages/client/src/schema.d.ts
      expect({
        firstDifferentLine: line === -1 && fresh.length === committed.length ? null : line + 1,
        fresh: fresh[line],
        committed: committed[line],
      }).toEqual({
        firstDifferentLine: null,
        fresh: undefined,
        committed: undefined,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('type-checks as a browser package (DOM lib, no Node types); its cookie-mode path lists are typed against the document', async () => {
    // jest does not type-check: this is tsc on packages/client/tsconfig.json (npm run client:typecheck)
    const tsc = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'packages/client/tsconfig.json'], { cwd: ROOT });
    await expect(tsc.then(({ stdout }) => stdout)).resolves.toBe('');
  }, 60_000);

  it('register → verify the email → login → me → refresh → logout (bearer mode)', async () => {
    const store = memoryTokenStore();
    const c = client({ tokenStore: store });
    const email = uniqueEmail('flow');
    const user = await c.register({ email, password: PASSWORD, name: 'Ada' });
    expect(user).toMatchObject({ email, name: 'Ada', email_verified: false, role: 'user' });

    const unverified = await problemOf(c.login({ email, password: PASSWORD }));
    expect(unverified).toMatchObject({ status: 403, code: 'email_not_verified' });
    expect(await store.get()).toBeNull();

    await deliver();
    const token = new URL(resend.lastLink(email)).searchParams.get('token')!;
    const verified = await unwrap(c.api.POST('/api/v1/auth/verify-email', { body: { token } }));
    expect(verified).toMatchObject({ id: user.id, email_verified: true });

    const login = await c.login({ email, password: PASSWORD });
    if (login.mfa_required) throw new Error('no factor was enrolled');
    expect(login.tokens).toMatchObject({ token_type: 'bearer', user: { id: user.id } });
    expect(await store.get()).toMatchObject({
      access_token: login.tokens.access_token,
      refresh_token: login.tokens.refresh_token,
      session_id: login.tokens.session_id,
    });
    expect(wire.sent.find((s) => s.path === '/api/v1/auth/login')!.headers.has('X-Auth-Mode')).toBe(false);

    expect(await c.me()).toMatchObject({ id: user.id, email, email_verified: true });
    expect(wire.sent.at(-1)!.headers.get('Authorization')).toBe(`Bearer ${login.tokens.access_token}`);

    const refreshed = await c.refresh();
    expect(refreshed.refresh_token).not.toBe(login.tokens.refresh_token);
    expect(refreshed.session_id).toBe(login.tokens.session_id);
    expect(await store.get()).toMatchObject({ access_token: refreshed.access_token, refresh_token: refreshed.refresh_token });
    expect(await c.me()).toMatchObject({ id: user.id });
    expect(wire.sent.at(-1)!.headers.get('Authorization')).toBe(`Bearer ${refreshed.access_token}`);

    await c.logout();
    expect(await store.get()).toBeNull();
    expect(wire.count('POST', '/api/v1/auth/logout')).toBe(1);
    const [session] = await t.sql<{ revoked_at: Date | null }>(`SELECT revoked_at FROM sessions WHERE id = $1`, [login.tokens.session_id]);
    expect(session.revoked_at).not.toBeNull();
    const after = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(refreshed.access_token));
    expect(after.status).toBe(401);
    // signed out: no token to send, so the API answers unauthorized
    expect(await problemOf(c.me())).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers a wrong password with a typed problem error (status, code, detail, request_id) and a bad body with its errors[]', async () => {
    const { c, email } = await signedIn();
    const wrong = await problemOf(c.login({ email, password: 'not-the-password' }));
    expect(wrong).toBeInstanceOf(Error);
    expect(wrong).toMatchObject({ name: 'IdentityProblemError', status: 401, code: 'invalid_credentials', detail: 'Invalid email or password', errors: [] });
    expect(wrong.is('invalid_credentials')).toBe(true);
    expect(isIdentityProblem(wrong, 'account_locked')).toBe(false);
    const sent = wire.sent.at(-1)!;
    expect(sent.status).toBe(401);
    expect(wrong.request_id).toMatch(/^[0-9a-f-]{36}$/);

    const invalid = await problemOf(c.register({ email: 'not-an-email', password: PASSWORD }));
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed', errors: [{ field: 'email', message: expect.any(String) }] });

    const taken = await problemOf(c.register({ email, password: PASSWORD }));
    expect(taken).toMatchObject({ status: 409, code: 'email_taken' });

    const badCode = await problemOf(c.exchangeOAuthCode('not-a-real-code'));
    expect(badCode).toMatchObject({ status: 400, code: 'invalid_token' });
  });

  it('admin: lists users, revokes a user’s sessions, disables a user (raw typed calls)', async () => {
    const admin = await signedIn('admin');
    const target = await signedIn('user');

    const page = await unwrap(admin.c.api.GET('/api/v1/admin/users', { params: { query: { q: target.email, limit: 10 } } }));
    expect(page.items.map((u) => u.id)).toEqual([target.user.id]);
    expect(page.next_cursor).toBeNull();
    const sessions = await unwrap(admin.c.api.GET('/api/v1/admin/sessions', { params: { query: { user_id: target.user.id, active: true } } }));
    expect(sessions.items.map((s) => s.id)).toEqual([target.tokens.session_id]);

    const forbidden = await problemOf(unwrap(target.c.api.GET('/api/v1/admin/users')));
    expect(forbidden).toMatchObject({ status: 403, code: 'forbidden' });

    const revoke = await admin.c.api.DELETE('/api/v1/admin/users/{id}/sessions', { params: { path: { id: target.user.id } } });
    expect(revoke.response.status).toBe(204);
    // revoked, not expired: no refresh is tried, the problem comes back as it is
    expect(await problemOf(target.c.me())).toMatchObject({ status: 401, code: 'token_revoked' });
    expect(wire.count('POST', '/api/v1/auth/refresh')).toBe(0);

    await target.c.login({ email: target.email, password: PASSWORD });
    const disabled = await unwrap(admin.c.api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id: target.user.id } }, body: { is_active: false } }));
    expect(disabled).toMatchObject({ id: target.user.id, is_active: false });
    expect((await problemOf(target.c.me())).status).toBe(401);
    expect(await problemOf(target.c.login({ email: target.email, password: PASSWORD }))).toMatchObject({ status: 403, code: 'account_disabled' });
  });

  it('renews an expired access token with exactly one refresh for several concurrent calls, each retried once', async () => {
    const store = memoryTokenStore();
    const { c, user, tokens } = await signedIn('user', { tokenStore: store });
    const now = Math.floor(Date.now() / 1000);
    const expired = forge(t, { sub: user.id, sid: tokens.session_id, role: 'user', iat: now - 120, exp: now - 60 });
    await store.set({ access_token: expired, refresh_token: tokens.refresh_token });
    const before = wire.sent.length;

    const [me, profile, mySessions, audit, identities] = await Promise.all([
      c.me(),
      unwrap(c.api.GET('/api/v1/users/profile')),
      unwrap(c.api.GET('/api/v1/users/sessions')),
      unwrap(c.api.GET('/api/v1/users/audit', { params: { query: { limit: 5 } } })),
      unwrap(c.api.GET('/api/v1/users/identities')),
    ]);
    expect(me.id).toBe(user.id);
    expect(profile.id).toBe(user.id);
    expect(mySessions.items.map((s) => s.id)).toEqual([tokens.session_id]);
    expect(audit.items.length).toBeGreaterThan(0);
    expect(identities.items).toEqual([]);

    const during = wire.sent.slice(before);
    expect(during.filter((s) => s.path === '/api/v1/auth/refresh').map((s) => s.status)).toEqual([200]);
    for (const path of ['/api/v1/auth/me', '/api/v1/users/profile', '/api/v1/users/sessions', '/api/v1/users/audit', '/api/v1/users/identities']) {
      expect([path, during.filter((s) => s.path === path).map((s) => s.status)]).toEqual([path, [401, 200]]);
    }
    const renewed = (await store.get())!;
    expect(renewed.access_token).not.toBe(expired);
    expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
    expect(
      during
        .filter((s) => s.status === 200 && s.path !== '/api/v1/auth/refresh')
        .every((s) => s.headers.get('Authorization') === `Bearer ${renewed.access_token}`),
    ).toBe(true);
    // the server rotated the session's refresh token once
    const [rotations] = await t.sql<{ n: string }>(`SELECT count(*) AS n FROM refresh_tokens WHERE session_id = $1`, [tokens.session_id]);
    expect(Number(rotations.n)).toBe(2);
  });

  it('when the refresh fails (session revoked elsewhere) the call rejects with that problem and the tokens are cleared', async () => {
    const store = memoryTokenStore();
    const { c, user, email, tokens } = await signedIn('user', { tokenStore: store });
    const other = client();
    await other.login({ email, password: PASSWORD });
    expect((await other.api.DELETE('/api/v1/users/sessions')).response.status).toBe(204); // revokes every other session
    const now = Math.floor(Date.now() / 1000);
    await store.set({
      access_token: forge(t, { sub: user.id, sid: tokens.session_id, role: 'user', iat: now - 120, exp: now - 60 }),
      refresh_token: tokens.refresh_token,
    });

    const [a, b] = await Promise.all([problemOf(c.me()), problemOf(unwrap(c.api.GET('/api/v1/users/profile')))]);
    expect(a).toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    expect(b).toBe(a);
    expect(wire.count('POST', '/api/v1/auth/refresh')).toBe(1);
    expect(await store.get()).toBeNull();
    expect(await other.me()).toMatchObject({ id: user.id });
  });

  it('MFA: login answers a challenge, a wrong code is a typed problem, verifyMfa with a TOTP code signs in', async () => {
    const { c, email, user } = await signedIn();
    const setup = await unwrap(c.api.POST('/api/v1/auth/mfa/totp/setup'));
    const confirmed = await unwrap(c.api.POST('/api/v1/auth/mfa/totp/confirm', { body: { code: totpCode(setup.secret) } }));
    expect(confirmed.recovery_codes).toHaveLength(10);
    await c.logout();

    const login = await c.login({ email, password: PASSWORD });
    if (!login.mfa_required) throw new Error('expected an MFA challenge');
    expect(login.challenge).toMatchObject({ mfa_required: true, methods: expect.arrayContaining(['totp', 'recovery_code']), expires_in: 300 });
    expect(await c.tokens.get()).toBeNull();

    // the code of the next 30-second step: accepted (window 1) and not the one used to confirm
    const code = totpCode(setup.secret, Date.now() + 30_000);
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
    const refused = await problemOf(c.verifyMfa({ mfa_token: login.challenge.mfa_token, code: wrong }));
    expect(refused).toMatchObject({ status: 401, code: 'invalid_mfa_code' });
    expect(refused.is('invalid_mfa_code', 'invalid_mfa_token')).toBe(true);

    const tokens = await c.verifyMfa({ mfa_token: login.challenge.mfa_token, code });
    expect(tokens.user).toMatchObject({ id: user.id, mfa_enabled: true });
    expect((await c.tokens.get())?.access_token).toBe(tokens.access_token);
    expect(await c.me()).toMatchObject({ id: user.id, mfa_enabled: true });
  });

  it('cookie mode, two tabs: the tab whose CSRF token the other tab’s refresh made stale obtains a new one and refreshes', async () => {
    const { user, email } = await signedIn();
    const tabA = client({ mode: 'cookie' });
    await tabA.login({ email, password: PASSWORD });
    const tabB = client({ mode: 'cookie' }); // same browser, same cookies
    expect(await tabB.resume()).toMatchObject({ user: { id: user.id } });
    // tab A still holds the CSRF token bound to the refresh token that B's refresh rotated away
    const before = wire.sent.length;
    expect(await tabA.refresh()).toMatchObject({ user: { id: user.id } });
    expect(wire.sent.slice(before).map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual([
      'POST /api/v1/auth/refresh 403',
      'GET /api/v1/auth/csrf 200',
      'POST /api/v1/auth/refresh 200',
    ]);
    expect(await tabA.me()).toMatchObject({ id: user.id });
    expect(await tabA.tokens.get()).not.toBeNull();
  });

  it('cookie mode: HttpOnly refresh cookie, CSRF token kept from the answers, resume() after a reload, refresh on expiry, logout', async () => {
    const { user, email } = await signedIn();
    const app = client({ mode: 'cookie' });
    const login = await app.login({ email, password: PASSWORD });
    if (login.mfa_required) throw new Error('unexpected MFA challenge');
    expect(login.tokens).not.toHaveProperty('refresh_token');
    expect(await app.tokens.get()).toEqual(expect.not.objectContaining({ refresh_token: expect.anything() }));
    const sentLogin = wire.sent.filter((s) => s.path === '/api/v1/auth/login').at(-1)!;
    expect([sentLogin.headers.get('X-Auth-Mode'), sentLogin.credentials]).toEqual(['cookie', 'include']);
    expect(wire.cookies.get('refresh_token')?.attributes).toMatch(/HttpOnly/i);
    expect(wire.cookies.get('refresh_token')).toMatchObject({ path: '/api/v1/auth', attributes: expect.stringMatching(/SameSite=Strict/i) });
    expect(app.csrfToken()).toBe(wire.cookies.get('csrf_token')?.value);
    expect(await app.me()).toMatchObject({ id: user.id });

    // a page reload: a new client, nothing in memory, only the browser's cookies
    const reloaded = client({ mode: 'cookie' });
    expect(reloaded.csrfToken()).toBeNull();
    expect(await problemOf(reloaded.me())).toMatchObject({ status: 401, code: 'unauthorized' });
    const before = wire.sent.length;
    const resumed = await reloaded.resume();
    expect(resumed).toMatchObject({ session_id: login.tokens.session_id, user: { id: user.id } });
    const calls = wire.sent.slice(before);
    expect(calls.map((s) => `${s.method} ${s.path} ${s.status}`)).toEqual(['GET /api/v1/auth/csrf 200', 'POST /api/v1/auth/refresh 200']);
    expect(calls[1].headers.get('X-CSRF-Token')).toBeTruthy();
    expect(calls[1].headers.has('Authorization')).toBe(false);
    expect(reloaded.csrfToken()).toBe(wire.cookies.get('csrf_token')?.value);
    expect(await reloaded.me()).toMatchObject({ id: user.id });

    // a wrong CSRF token is refused with a typed problem (the caller's header wins over the client's)
    const badCsrf = await reloaded.api.POST('/api/v1/auth/refresh', { body: {}, params: { header: { 'X-CSRF-Token': 'forged' } } });
    expect(badCsrf.error).toMatchObject({ status: 403, code: 'csrf_failed' });

    // an expired access token is renewed through the cookie
    const now = Math.floor(Date.now() / 1000);
    await reloaded.tokens.set({ access_token: forge(t, { sub: user.id, sid: login.tokens.session_id, role: 'user', iat: now - 120, exp: now - 60 }) });
    const refreshesBefore = wire.count('POST', '/api/v1/auth/refresh');
    expect(await reloaded.me()).toMatchObject({ id: user.id });
    expect(wire.count('POST', '/api/v1/auth/refresh')).toBe(refreshesBefore + 1);

    await reloaded.logout();
    expect(wire.sent.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/auth/logout', status: 204 });
    expect(wire.cookies.has('refresh_token')).toBe(false);
    expect(await reloaded.tokens.get()).toBeNull();
    expect(reloaded.csrfToken()).toBeNull();
    // and after another reload there is nothing to resume
    expect(await client({ mode: 'cookie' }).resume()).toBeNull();
  });
});
