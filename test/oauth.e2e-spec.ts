import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { PASSWORD, bearer, login, register, registerAndLogin, uniqueEmail, verifiedUser } from './support/auth';
import { TEST_REDIS_URL } from './support/env';
import { type FakeProvider, FakeOAuthServer } from './support/fake-oauth';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';
import { totpCode } from './support/totp';
import { decode } from 'jsonwebtoken';

const PROBLEM = /^application\/problem\+json/;
const FRONTEND_CALLBACK = 'http://app.test/oauth/callback';

let fake: FakeOAuthServer;
let t: TestApp;
let seq = 0;

/** A fresh provider account id, so tests never see each other's identities. */
const nextId = () => `${Date.now()}${++seq}`;

beforeAll(async () => {
  fake = await new FakeOAuthServer().start();
  t = await startTestApp(fake.env());
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** GET on the fake provider (the browser at the authorize page): where it sends the browser back. */
async function atProvider(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

/**
 * The browser's flow cookie per app: initiate sets it (the browser keeps one nonce for all its
 * flows) and the callback must carry it.
 */
const jar = new Map<TestApp, string>();

/** GET an initiate URL as the browser: sends and keeps the flow cookie. */
async function initiate(app: TestApp, path: string, status = 302) {
  const req = app.http().get(path);
  if (jar.has(app)) req.set('Cookie', jar.get(app)!);
  const res = await req.expect(status);
  const set = ((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []).find((c) => c.startsWith('oauth_flow='));
  if (set) jar.set(app, set.split(';')[0]);
  return res;
}

/** The authorize_url of a link (this API, with a ticket), opened in the browser: where the provider sends it back. */
async function openLink(authorizeUrl: string): Promise<URL> {
  const url = new URL(authorizeUrl);
  expect(`${url.origin}${url.pathname}`).toMatch(/^http:\/\/api\.test\/api\/v1\/oauth\/(google|github)\/initiate$/);
  const init = await initiate(t, url.pathname + url.search);
  return atProvider(init.headers.location);
}

async function callback(app: TestApp, url: URL): Promise<URL> {
  const req = app.http().get(url.pathname + url.search);
  if (jar.has(app)) req.set('Cookie', jar.get(app)!);
  const res = await req.expect(302);
  expect(res.headers['cache-control']).toBe('no-store');
  return new URL(res.headers.location);
}

/** initiate → provider authorize → callback; returns every hop. */
async function flow(provider: FakeProvider, opts: { redirectTo?: string; app?: TestApp } = {}) {
  const app = opts.app ?? t;
  const query = opts.redirectTo === undefined ? '' : `?redirect_to=${encodeURIComponent(opts.redirectTo)}`;
  const init = await initiate(app, `/api/v1/oauth/${provider}/initiate${query}`);
  const authorize = new URL(init.headers.location);
  const back = await atProvider(authorize.toString());
  const final = await callback(app, back);
  return { authorize, back, final };
}

function exchange(code: string) {
  return t.http().post('/api/v1/oauth/exchange').send({ code });
}

/** The whole sign-in: the TokenPair of the new session. */
async function signIn(provider: FakeProvider) {
  const { final } = await flow(provider);
  expect(`${final.origin}${final.pathname}`).toBe(FRONTEND_CALLBACK);
  expect(final.searchParams.get('error')).toBeNull();
  const res = await exchange(final.searchParams.get('code')!);
  expect(res.status).toBe(200);
  return res.body;
}

function expectError(final: URL, code: string): void {
  expect(`${final.origin}${final.pathname}`).toBe(FRONTEND_CALLBACK);
  expect(Object.fromEntries(final.searchParams)).toEqual({ error: code });
}

async function counts(app: TestApp = t) {
  const [row] = await app.sql<{ users: string; identities: string; sessions: string }>(
    `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM oauth_identities) AS identities, (SELECT count(*) FROM sessions) AS sessions`,
  );
  return { users: Number(row.users), identities: Number(row.identities), sessions: Number(row.sessions) };
}

async function identitiesOf(userId: string) {
  return t.sql<{ provider: string; provider_user_id: string; email: string | null }>(
    `SELECT provider, provider_user_id, email FROM oauth_identities WHERE user_id = $1 ORDER BY provider`,
    [userId],
  );
}

async function auditOf(userId: string, event: string) {
  return t.sql<{ outcome: string; metadata: Record<string, unknown> }>(
    `SELECT outcome, metadata FROM audit_events WHERE target_user_id = $1 AND event = $2 ORDER BY created_at`,
    [userId, event],
  );
}

describe('OAuth: providers and initiate', () => {
  it('lists the configured providers with their initiate URLs', async () => {
    const res = await t.http().get('/api/v1/oauth/providers').expect(200);
    expect(res.body).toEqual({
      items: [
        { name: 'google', initiate_url: 'http://api.test/api/v1/oauth/google/initiate' },
        { name: 'github', initiate_url: 'http://api.test/api/v1/oauth/github/initiate' },
      ],
    });
  });

  it('Google: 302 to the configured authorize URL with state and an S256 code_challenge', async () => {
    const res = await initiate(t, '/api/v1/oauth/google/initiate');
    const url = new URL(res.headers.location);
    expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/google/authorize`);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: 'google-client-id',
      redirect_uri: 'http://api.test/api/v1/oauth/google/callback',
      code_challenge_method: 'S256',
    });
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'email']));
    // a second initiate gets a different state and challenge
    const again = new URL((await initiate(t, '/api/v1/oauth/google/initiate')).headers.location);
    expect(again.searchParams.get('state')).not.toBe(q.state);
    expect(again.searchParams.get('code_challenge')).not.toBe(q.code_challenge);
  });

  it('GitHub: state, the user:email scope, and PKCE too', async () => {
    const res = await initiate(t, '/api/v1/oauth/github/initiate');
    const url = new URL(res.headers.location);
    expect(`${url.origin}${url.pathname}`).toBe(`${fake.url}/github/authorize`);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('scope')!.split(',')).toContain('user:email');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe('http://api.test/api/v1/oauth/github/callback');
  });

  it('keeps the state server-side, hashed, for 10 minutes at most', async () => {
    const res = await initiate(t, '/api/v1/oauth/google/initiate');
    const state = new URL(res.headers.location).searchParams.get('state')!;
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const hashed = await redis.pttl(`${t.keyPrefix}oauth:state:${createHash('sha256').update(state).digest('hex')}`);
      expect(hashed).toBeGreaterThan(0);
      expect(hashed).toBeLessThanOrEqual(10 * 60 * 1000);
      expect(await redis.exists(`${t.keyPrefix}oauth:state:${state}`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it.each([['https://evil.example/steal'], ['//evil.example/steal'], ['/\\evil.example'], ['javascript:alert(1)'], ['dashboard'], ['/ok path']])(
    'refuses redirect_to=%j with 400 validation_failed',
    async (redirectTo) => {
      const res = await t.http().get('/api/v1/oauth/google/initiate').query({ redirect_to: redirectTo }).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'redirect_to', message: expect.any(String) }] });
    },
  );

  it('refuses unknown query parameters on initiate (400)', async () => {
    const res = await t.http().get('/api/v1/oauth/google/initiate?code=abc&state=def').expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('answers 404 not_found for an unknown provider on every route', async () => {
    const me = await registerAndLogin(t);
    const responses = await Promise.all([
      t.http().get('/api/v1/oauth/facebook/initiate'),
      t.http().get('/api/v1/oauth/facebook/callback?code=x&state=y'),
      t
        .http()
        .post('/api/v1/oauth/facebook/link')
        .set(...bearer(me.tokens.access_token))
        .send({}),
      t
        .http()
        .delete('/api/v1/users/identities/facebook')
        .set(...bearer(me.tokens.access_token)),
    ]);
    for (const res of responses) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('not_found');
    }
  });

  it('documents the OAuth routes in the OpenAPI document', async () => {
    const doc = (await t.http().get('/docs-json').expect(200)).body;
    for (const path of [
      '/api/v1/oauth/providers',
      '/api/v1/oauth/{provider}/initiate',
      '/api/v1/oauth/{provider}/callback',
      '/api/v1/oauth/exchange',
      '/api/v1/oauth/{provider}/link',
      '/api/v1/users/identities',
      '/api/v1/users/identities/{provider}',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(doc.paths['/api/v1/oauth/{provider}/callback'].get.description).toContain('account_exists');
  });
});

describe('OAuth: sign-in and the linking rules', () => {
  it('Google, new email: creates a verified user with no password and signs in (auth_method google)', async () => {
    const email = uniqueEmail('g-new');
    const sub = nextId();
    fake.setGoogleUser({ sub, email, email_verified: true, name: 'Grace Hopper' });
    const before = await counts();
    const tokens = await signIn('google');

    expect(tokens).toMatchObject({ token_type: 'bearer', refresh_token: expect.any(String), access_token: expect.any(String) });
    expect(tokens.user).toMatchObject({ email, name: 'Grace Hopper', email_verified: true, role: 'user' });
    expect(await counts()).toEqual({ users: before.users + 1, identities: before.identities + 1, sessions: before.sessions + 1 });
    const [user] = await t.sql<{ password_hash: string | null }>(`SELECT password_hash FROM users WHERE id = $1`, [tokens.user.id]);
    expect(user.password_hash).toBeNull();
    expect(await identitiesOf(tokens.user.id)).toEqual([{ provider: 'google', provider_user_id: sub, email }]);
    const [session] = await t.sql<{ auth_method: string }>(`SELECT auth_method FROM sessions WHERE id = $1`, [tokens.session_id]);
    expect(session.auth_method).toBe('google');

    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(tokens.access_token))
      .expect(200);
    expect(me.body.id).toBe(tokens.user.id);
    expect((await auditOf(tokens.user.id, 'oauth.login')).map((e) => e.outcome)).toEqual(['success']);
    expect((await auditOf(tokens.user.id, 'oauth.linked'))[0]).toMatchObject({ outcome: 'success', metadata: { provider: 'google' } });
    expect(await auditOf(tokens.user.id, 'user.registered')).toHaveLength(1);
  });

  it('the token endpoint got the PKCE verifier matching the challenge (the fake checks it)', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('pkce'), email_verified: true });
    const { authorize, final } = await flow('google');
    expect(final.searchParams.get('code')).toBeTruthy();
    const form = fake.tokenRequests.at(-1)!.form;
    expect(createHash('sha256').update(form.code_verifier).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
    expect(form).toMatchObject({ client_id: 'google-client-id', redirect_uri: 'http://api.test/api/v1/oauth/google/callback' });
  });

  it('GitHub: takes the primary verified address from the emails endpoint', async () => {
    const primary = uniqueEmail('gh-primary');
    const id = Number(nextId());
    fake.setGithubUser({ id, login: 'octo', name: null }, [
      { email: uniqueEmail('gh-other'), primary: false, verified: true },
      { email: primary, primary: true, verified: true },
    ]);
    const tokens = await signIn('github');
    expect(tokens.user).toMatchObject({ email: primary, name: 'octo', email_verified: true });
    expect(await identitiesOf(tokens.user.id)).toEqual([{ provider: 'github', provider_user_id: String(id), email: primary }]);
    const [session] = await t.sql<{ auth_method: string }>(`SELECT auth_method FROM sessions WHERE id = $1`, [tokens.session_id]);
    expect(session.auth_method).toBe('github');
  });

  it('a linked provider account signs in its user again, even after its email changed at the provider', async () => {
    const sub = nextId();
    fake.setGoogleUser({ sub, email: uniqueEmail('again'), email_verified: true });
    const first = await signIn('google');
    fake.setGoogleUser({ sub, email: uniqueEmail('changed'), email_verified: false });
    const before = await counts();
    const second = await signIn('google');
    expect(second.user.id).toBe(first.user.id);
    expect(second.session_id).not.toBe(first.session_id);
    expect(await counts()).toEqual({ ...before, sessions: before.sessions + 1 });
  });

  it('a provider-verified email matching a user (any case) links to that user and signs in', async () => {
    const user = await register(t, uniqueEmail('match'));
    await t.sql(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
    const sub = nextId();
    fake.setGoogleUser({ sub, email: user.email.toUpperCase(), email_verified: true });
    const before = await counts();
    const tokens = await signIn('google');
    expect(tokens.user.id).toBe(user.id);
    expect(await counts()).toEqual({ users: before.users, identities: before.identities + 1, sessions: before.sessions + 1 });
    expect(await identitiesOf(user.id)).toEqual([{ provider: 'google', provider_user_id: sub, email: user.email.toUpperCase() }]);
    expect((await auditOf(user.id, 'oauth.linked'))[0]).toMatchObject({ outcome: 'success', metadata: { provider: 'google', via: 'email_match' } });
    // the owner had proven the address, so their password still works
    await login(t, user.email);
  });

  it('linking into a never-verified account drops the unproven password and its sessions (pre-hijack defence)', async () => {
    const planted = await register(t, uniqueEmail('planted'));
    const squatter = await login(t, planted.email);
    fake.setGoogleUser({ sub: nextId(), email: planted.email, email_verified: true });
    const owner = await signIn('google');
    expect(owner.user).toMatchObject({ id: planted.id, email_verified: true });
    const refused = await t.http().post('/api/v1/auth/login').send({ email: planted.email, password: planted.password }).expect(401);
    expect(refused.body.code).toBe('invalid_credentials');
    expect((await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${squatter.access_token}`)).body.code).toBe('token_revoked');
    await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${owner.access_token}`).expect(200);
    expect((await auditOf(planted.id, 'oauth.linked'))[0]).toMatchObject({ metadata: { via: 'email_match', unproven_login_removed: true } });
  });

  it('a matching email the provider has not verified fails account_exists and links nothing', async () => {
    const user = await register(t, uniqueEmail('unverified-match'));
    fake.setGoogleUser({ sub: nextId(), email: user.email, email_verified: false });
    const before = await counts();
    const { final } = await flow('google');
    expectError(final, 'account_exists');
    expect(await counts()).toEqual(before);
    expect(await identitiesOf(user.id)).toEqual([]);
    expect((await auditOf(user.id, 'oauth.login'))[0]).toMatchObject({ outcome: 'failure', metadata: { reason: 'account_exists' } });
  });

  it('an unverified email matching nobody creates a user with email_verified false', async () => {
    const email = uniqueEmail('g-unverified');
    fake.setGoogleUser({ sub: nextId(), email, email_verified: false, name: 'Unverified' });
    const tokens = await signIn('google');
    expect(tokens.user).toMatchObject({ email, email_verified: false });
  });

  it('GitHub without a primary verified email fails email_unverified and creates nothing', async () => {
    fake.setGithubUser({ id: Number(nextId()), login: 'noverified' }, [
      { email: uniqueEmail('gh-unverified'), primary: true, verified: false },
      { email: uniqueEmail('gh-secondary'), primary: false, verified: true },
    ]);
    const before = await counts();
    const { final } = await flow('github');
    expectError(final, 'email_unverified');
    expect(await counts()).toEqual(before);
  });

  it('a disabled user cannot sign in through a provider (account_disabled)', async () => {
    const sub = nextId();
    fake.setGoogleUser({ sub, email: uniqueEmail('disabled'), email_verified: true });
    const first = await signIn('google');
    await t.sql(`UPDATE users SET is_active = false WHERE id = $1`, [first.user.id]);
    const before = await counts();
    const { final } = await flow('google');
    expectError(final, 'account_disabled');
    expect(await counts()).toEqual(before);
  });

  it('a user disabled between callback and exchange gets 403 account_disabled at exchange', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('disabled-late'), email_verified: true });
    const { final } = await flow('google');
    const [{ user_id }] = await t.sql<{ user_id: string }>(`SELECT user_id FROM oauth_identities ORDER BY created_at DESC LIMIT 1`);
    await t.sql(`UPDATE users SET is_active = false WHERE id = $1`, [user_id]);
    const res = await exchange(final.searchParams.get('code')!).expect(403);
    expect(res.body.code).toBe('account_disabled');
  });

  it('a provider sign-in of a user with a second factor ends with mfa_required; the code finishes it (amr oauth + otp)', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('mfa-oauth'), email_verified: true });
    const first = await signIn('google');
    const setup = await t.http().post('/api/v1/auth/mfa/totp/setup').set('Authorization', `Bearer ${first.access_token}`).expect(200);
    const t0 = Date.now();
    await t
      .http()
      .post('/api/v1/auth/mfa/totp/confirm')
      .set('Authorization', `Bearer ${first.access_token}`)
      .send({ code: totpCode(setup.body.secret, t0) })
      .expect(200);
    const before = await counts();
    const { final } = await flow('google');
    const res = await exchange(final.searchParams.get('code')!).expect(200);
    expect(res.body).toEqual({ mfa_required: true, mfa_token: expect.any(String), methods: ['totp', 'recovery_code'], expires_in: 300 });
    expect(await counts()).toEqual(before);
    const done = await t
      .http()
      .post('/api/v1/auth/mfa/verify')
      .send({ mfa_token: res.body.mfa_token, code: totpCode(setup.body.secret, t0 + 30_000) })
      .expect(200);
    expect(decode(done.body.access_token)).toMatchObject({ amr: ['oauth', 'otp'] });
    const [row] = await t.sql<{ auth_method: string }>(`SELECT auth_method FROM sessions WHERE id = $1`, [done.body.session_id]);
    expect(row.auth_method).toBe('google');
  });

  it('concurrent first sign-ins of one provider account create one user and one identity', async () => {
    const email = uniqueEmail('race');
    fake.setGoogleUser({ sub: nextId(), email, email_verified: true });
    const backs = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const init = await initiate(t, '/api/v1/oauth/google/initiate');
        return atProvider(init.headers.location);
      }),
    );
    const finals = await Promise.all(backs.map((b) => callback(t, b)));
    for (const f of finals) expect(Object.fromEntries(f.searchParams)).toEqual({ code: expect.any(String) });
    const users = await t.sql<{ id: string }>(`SELECT id FROM users WHERE lower(email) = lower($1)`, [email]);
    expect(users).toHaveLength(1);
    expect(await identitiesOf(users[0].id)).toHaveLength(1);
  });

  it('carries a valid redirect_to through to the front end', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('redirect'), email_verified: true });
    const { final } = await flow('google', { redirectTo: '/settings/security?tab=2' });
    expect(final.searchParams.get('redirect_to')).toBe('/settings/security?tab=2');
    expect(final.searchParams.get('code')).toBeTruthy();
  });
});

describe('OAuth: state, errors and the exchange code', () => {
  it('a tampered state fails invalid_state and creates nothing', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('tampered'), email_verified: true });
    const init = await initiate(t, '/api/v1/oauth/google/initiate');
    const back = await atProvider(init.headers.location);
    back.searchParams.set('state', `${back.searchParams.get('state')}x`);
    const before = await counts();
    expectError(await callback(t, back), 'invalid_state');
    expect(await counts()).toEqual(before);
  });

  it('a missing state fails invalid_state', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('nostate'), email_verified: true });
    const init = await initiate(t, '/api/v1/oauth/google/initiate');
    const back = await atProvider(init.headers.location);
    back.searchParams.delete('state');
    const before = await counts();
    expectError(await callback(t, back), 'invalid_state');
    expect(await counts()).toEqual(before);
  });

  it('a replayed callback (state already used) fails invalid_state and creates nothing', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('replay'), email_verified: true });
    const { back, final } = await flow('google');
    expect(final.searchParams.get('code')).toBeTruthy();
    const before = await counts();
    expectError(await callback(t, back), 'invalid_state');
    expect(await counts()).toEqual(before);
  });

  it("a state issued for Google does not work on GitHub's callback", async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('cross'), email_verified: true });
    const init = await initiate(t, '/api/v1/oauth/google/initiate');
    const back = await atProvider(init.headers.location);
    back.pathname = '/api/v1/oauth/github/callback';
    expectError(await callback(t, back), 'invalid_state');
  });

  it('consent denied at the provider: access_denied, nothing created, and the state is spent', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('denied'), email_verified: true });
    fake.denyConsent('google');
    const before = await counts();
    const { back, final } = await flow('google');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expectError(final, 'access_denied');
    expect(await counts()).toEqual(before);
    // the same state cannot be used for a code afterwards
    back.searchParams.delete('error');
    back.searchParams.delete('error_description');
    back.searchParams.set('code', 'anything');
    expectError(await callback(t, back), 'invalid_state');
  });

  it('a failing token endpoint (500) gives provider_error and creates nothing', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('token500'), email_verified: true });
    fake.failToken('google');
    const before = await counts();
    const { final } = await flow('google');
    expectError(final, 'provider_error');
    expect(await counts()).toEqual(before);
  });

  it('a code the provider refuses (PKCE verifier, reused code) gives provider_error', async () => {
    fake.setGithubUser({ id: Number(nextId()), login: 'refused' }, [{ email: uniqueEmail('refused'), primary: true, verified: true }]);
    const init = await initiate(t, '/api/v1/oauth/github/initiate');
    const back = await atProvider(init.headers.location);
    // a second valid state with the first code: the fake has already spent that code
    await callback(t, back);
    const init2 = await initiate(t, '/api/v1/oauth/github/initiate');
    const back2 = await atProvider(init2.headers.location);
    back2.searchParams.set('code', back.searchParams.get('code')!);
    expectError(await callback(t, back2), 'provider_error');
  });

  it('the exchange code works once (then 400 invalid_token) and is stored hashed for 60 s', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('code-reuse'), email_verified: true });
    const { final } = await flow('google');
    const code = final.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const redis = new Redis(TEST_REDIS_URL);
    try {
      const ttl = await redis.pttl(`${t.keyPrefix}oauth:code:${createHash('sha256').update(code).digest('hex')}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await redis.exists(`${t.keyPrefix}oauth:code:${code}`)).toBe(0);
    } finally {
      redis.disconnect();
    }

    await exchange(code).expect(200);
    const again = await exchange(code).expect(400);
    expect(again.headers['content-type']).toMatch(PROBLEM);
    expect(again.body).toMatchObject({ status: 400, code: 'invalid_token' });
  });

  it('a garbage code is 400 invalid_token; a malformed body is 400 validation_failed', async () => {
    expect((await exchange('not-a-real-code').expect(400)).body.code).toBe('invalid_token');
    expect((await t.http().post('/api/v1/oauth/exchange').send({}).expect(400)).body.code).toBe('validation_failed');
    const unknown = await t.http().post('/api/v1/oauth/exchange').send({ code: 'x', user_id: 'y' }).expect(400);
    expect(unknown.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'user_id', message: expect.any(String) }] });
  });

  it('cookie mode on exchange: the refresh token is an HttpOnly cookie, not in the body, and refresh works with it', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('cookie'), email_verified: true });
    const { final } = await flow('google');
    const res = await t
      .http()
      .post('/api/v1/oauth/exchange')
      .set('X-Auth-Mode', 'cookie')
      .send({ code: final.searchParams.get('code') })
      .expect(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.access_token).toEqual(expect.any(String));
    const cookies = res.headers['set-cookie'] as unknown as string[];
    const refresh = cookies.find((c) => c.startsWith('refresh_token='))!;
    const csrf = cookies.find((c) => c.startsWith('csrf_token='))!;
    expect(refresh).toMatch(/HttpOnly/i);
    expect(refresh).toMatch(/SameSite=Strict/i);
    expect(refresh).toMatch(/Path=\/api\/v1\/auth/);
    const csrfValue = csrf.split(';')[0].split('=')[1];
    const refreshed = await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', [refresh.split(';')[0], csrf.split(';')[0]])
      .set('X-CSRF-Token', csrfValue)
      .send({})
      .expect(200);
    expect(refreshed.body.session_id).toBe(res.body.session_id);
  });
});

describe('OAuth: link and unlink', () => {
  async function linkFlow(accessToken: string, provider: FakeProvider, body: Record<string, unknown> = {}) {
    const res = await t
      .http()
      .post(`/api/v1/oauth/${provider}/link`)
      .set(...bearer(accessToken))
      .send(body)
      .expect(200);
    return callback(t, await openLink(res.body.authorize_url));
  }

  it('needs a bearer token', async () => {
    const res = await t.http().post('/api/v1/oauth/github/link').send({}).expect(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('links a provider account to the caller; it then lists and signs in that user', async () => {
    const me = await verifiedUser(t, uniqueEmail('linker'));
    const ghEmail = uniqueEmail('linked-gh');
    const id = Number(nextId());
    fake.setGithubUser({ id, login: 'linker' }, [{ email: ghEmail, primary: true, verified: true }]);
    const final = await linkFlow(me.tokens.access_token, 'github', { redirect_to: '/settings' });
    expect(Object.fromEntries(final.searchParams)).toEqual({ linked: 'github', redirect_to: '/settings' });

    const list = await t
      .http()
      .get('/api/v1/users/identities')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    expect(list.body).toEqual({ items: [{ provider: 'github', email: ghEmail, created_at: expect.any(String) }] });
    expect((await auditOf(me.id, 'oauth.linked'))[0]).toMatchObject({ outcome: 'success', metadata: { provider: 'github', via: 'link' } });

    const tokens = await signIn('github');
    expect(tokens.user.id).toBe(me.id);
  });

  it('refuses a provider account that belongs to another user (identity_in_use), changing nothing', async () => {
    const sub = nextId();
    fake.setGoogleUser({ sub, email: uniqueEmail('owner'), email_verified: true });
    const owner = await signIn('google');
    const other = await verifiedUser(t, uniqueEmail('thief'));
    const before = await counts();
    const final = await linkFlow(other.tokens.access_token, 'google');
    expectError(final, 'identity_in_use');
    expect(await counts()).toEqual(before);
    expect(await identitiesOf(other.id)).toEqual([]);
    expect(await identitiesOf(owner.user.id)).toEqual([expect.objectContaining({ provider_user_id: sub })]);
    expect((await auditOf(other.id, 'oauth.linked'))[0]).toMatchObject({ outcome: 'failure', metadata: { reason: 'identity_in_use' } });
  });

  it('refuses a second account of the same provider: 409 at link, and at the callback if it races', async () => {
    const me = await verifiedUser(t, uniqueEmail('twice'));
    fake.setGithubUser({ id: Number(nextId()), login: 'first' }, [{ email: uniqueEmail('first'), primary: true, verified: true }]);
    // start two links before either finishes
    const a = await t
      .http()
      .post('/api/v1/oauth/github/link')
      .set(...bearer(me.tokens.access_token))
      .send({})
      .expect(200);
    const b = await t
      .http()
      .post('/api/v1/oauth/github/link')
      .set(...bearer(me.tokens.access_token))
      .send({})
      .expect(200);
    const backA = await openLink(a.body.authorize_url);
    fake.setGithubUser({ id: Number(nextId()), login: 'second' }, [{ email: uniqueEmail('second'), primary: true, verified: true }]);
    const backB = await openLink(b.body.authorize_url);
    expect((await callback(t, backA)).searchParams.get('linked')).toBe('github');
    expectError(await callback(t, backB), 'provider_already_linked');
    expect(await identitiesOf(me.id)).toHaveLength(1);

    const now = await t
      .http()
      .post('/api/v1/oauth/github/link')
      .set(...bearer(me.tokens.access_token))
      .send({})
      .expect(409);
    expect(now.body.code).toBe('provider_already_linked');
  });

  it('a link whose session ended before the callback fails session_ended and links nothing', async () => {
    const me = await verifiedUser(t, uniqueEmail('ended'));
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('ended-g'), email_verified: true });
    const res = await t
      .http()
      .post('/api/v1/oauth/google/link')
      .set(...bearer(me.tokens.access_token))
      .send({})
      .expect(200);
    const back = await openLink(res.body.authorize_url);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(me.tokens.access_token))
      .expect(204);
    expectError(await callback(t, back), 'session_ended');
    expect(await identitiesOf(me.id)).toEqual([]);
  });

  it('refuses a foreign redirect_to and unknown fields on link (400)', async () => {
    const me = await registerAndLogin(t);
    const bad = await t
      .http()
      .post('/api/v1/oauth/google/link')
      .set(...bearer(me.tokens.access_token))
      .send({ redirect_to: 'https://evil.example' })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    const unknown = await t
      .http()
      .post('/api/v1/oauth/google/link')
      .set(...bearer(me.tokens.access_token))
      .send({ user_id: me.id })
      .expect(400);
    expect(unknown.body.code).toBe('validation_failed');
  });

  it('unlinks (204, audited); unlinking again is 404', async () => {
    const me = await verifiedUser(t, uniqueEmail('unlinker'));
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('to-unlink'), email_verified: true });
    await linkFlow(me.tokens.access_token, 'google');
    expect(await identitiesOf(me.id)).toHaveLength(1);

    await t
      .http()
      .delete('/api/v1/users/identities/google')
      .set(...bearer(me.tokens.access_token))
      .expect(204);
    expect(await identitiesOf(me.id)).toEqual([]);
    expect(
      (
        await t
          .http()
          .get('/api/v1/users/identities')
          .set(...bearer(me.tokens.access_token))
          .expect(200)
      ).body,
    ).toEqual({ items: [] });
    expect((await auditOf(me.id, 'oauth.unlinked'))[0]).toMatchObject({ outcome: 'success', metadata: { provider: 'google' } });

    const again = await t
      .http()
      .delete('/api/v1/users/identities/google')
      .set(...bearer(me.tokens.access_token))
      .expect(404);
    expect(again.body.code).toBe('not_found');
    // the password still signs in
    await login(t, me.email, PASSWORD);
  });

  it('refuses to unlink the last way to sign in (409 last_login_method), but allows it while another remains', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('only-oauth'), email_verified: true });
    const me = await signIn('google');
    const only = await t
      .http()
      .delete('/api/v1/users/identities/google')
      .set(...bearer(me.access_token))
      .expect(409);
    expect(only.headers['content-type']).toMatch(PROBLEM);
    expect(only.body.code).toBe('last_login_method');
    expect(await identitiesOf(me.user.id)).toHaveLength(1);
    expect((await auditOf(me.user.id, 'oauth.unlinked'))[0]).toMatchObject({ outcome: 'failure', metadata: { reason: 'last_login_method' } });

    fake.setGithubUser({ id: Number(nextId()), login: 'second-method' }, [{ email: uniqueEmail('second-method'), primary: true, verified: true }]);
    await linkFlow(me.access_token, 'github');
    // both at once: exactly one may go
    const results = await Promise.all(
      ['google', 'github'].map((p) =>
        t
          .http()
          .delete(`/api/v1/users/identities/${p}`)
          .set(...bearer(me.access_token)),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([204, 409]);
    expect(await identitiesOf(me.user.id)).toHaveLength(1);
  });

  it("does not show or remove other users' identities", async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('private'), email_verified: true });
    const owner = await signIn('google');
    const other = await registerAndLogin(t);
    expect(
      (
        await t
          .http()
          .get('/api/v1/users/identities')
          .set(...bearer(other.tokens.access_token))
          .expect(200)
      ).body.items,
    ).toEqual([]);
    await t
      .http()
      .delete('/api/v1/users/identities/google')
      .set(...bearer(other.tokens.access_token))
      .expect(404);
    expect(await identitiesOf(owner.user.id)).toHaveLength(1);
  });
});

describe('OAuth: only configured providers, REQUIRE_EMAIL_VERIFICATION', () => {
  let googleOnly: TestApp;
  beforeAll(async () => {
    googleOnly = await startTestApp({ ...fake.env(['google']), REQUIRE_EMAIL_VERIFICATION: 'true' });
  });
  afterAll(() => googleOnly?.close());

  it('lists only Google and answers 404 for GitHub', async () => {
    const list = await googleOnly.http().get('/api/v1/oauth/providers').expect(200);
    expect(list.body).toEqual({ items: [{ name: 'google', initiate_url: 'http://api.test/api/v1/oauth/google/initiate' }] });
    expect((await googleOnly.http().get('/api/v1/oauth/github/initiate').expect(404)).body.code).toBe('not_found');
    expect((await googleOnly.http().get('/api/v1/oauth/github/callback?code=a&state=b').expect(404)).body.code).toBe('not_found');
  });

  it('an email the provider has not verified cannot create an account (email_not_verified, nothing created)', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('strict'), email_verified: false });
    const before = await counts(googleOnly);
    expectError((await flow('google', { app: googleOnly })).final, 'email_not_verified');
    expect(await counts(googleOnly)).toEqual(before);

    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('strict-ok'), email_verified: true });
    const ok = await flow('google', { app: googleOnly });
    const res = await googleOnly
      .http()
      .post('/api/v1/oauth/exchange')
      .send({ code: ok.final.searchParams.get('code') })
      .expect(200);
    expect(res.body.user.email_verified).toBe(true);
  });
});

describe('OAuth with Redis unreachable', () => {
  it('initiate and exchange answer 503 service_unavailable; the callback redirects with that code', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(TEST_REDIS_URL).port || 6379));
    await proxy.start();
    const app = await startTestApp({ ...fake.env(['google']), REDIS_URL: `redis://127.0.0.1:${proxy.port}/0` });
    try {
      fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('redis-down'), email_verified: true });
      const init = await initiate(app, '/api/v1/oauth/google/initiate');
      const back = await atProvider(init.headers.location);
      await proxy.stop();
      await new Promise((r) => setTimeout(r, 100));

      const refused = await app.http().get('/api/v1/oauth/google/initiate').expect(503);
      expect(refused.body.code).toBe('service_unavailable');
      const before = await counts(app);
      expectError(await callback(app, back), 'service_unavailable');
      expect(await counts(app)).toEqual(before);
      const exchanged = await app.http().post('/api/v1/oauth/exchange').send({ code: 'whatever' }).expect(503);
      expect(exchanged.body.code).toBe('service_unavailable');
    } finally {
      await proxy.stop();
      await app.close();
    }
  });
});
