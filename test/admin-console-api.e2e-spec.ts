import { randomBytes, randomUUID } from 'node:crypto';
import { bearer, login, makeAdmin, PASSWORD, register, registerAndLogin, type Registered, type Tokens, uniqueEmail } from './support/auth';
import { FakeOAuthServer } from './support/fake-oauth';
import { SoftAuthenticator } from './support/soft-authenticator';
import { startTestApp, TestApp } from './support/test-app';
import { enrolTotp as enrolTotpFor } from './support/totp';

/**
 * The admin API additions the web console reads (v1.2, console): the email_verified filter of the
 * user listing, the auth_method filter of the session listing, and a user's linked identities and
 * second factors. Sessions, identities and factors come from the real flows (password, Google
 * through the fake provider, passkeys through the software authenticator, TOTP).
 */
let fake: FakeOAuthServer;
let t: TestApp;
let admin: Registered & { tokens: Tokens };
// the default RP is FRONTEND_URL's host and origin (http://app.test in tests)
const ORIGIN = 'http://app.test';

beforeAll(async () => {
  fake = await new FakeOAuthServer().start();
  t = await startTestApp(fake.env(['google']));
  admin = await makeAdmin(t);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

type Item = { id: string } & Record<string, unknown>;
const tag = () => randomBytes(4).toString('hex');
const ids = (items: { id: string }[]) => items.map((i) => i.id);

const get = (path: string, token = admin.tokens.access_token) =>
  t
    .http()
    .get(`/api/v1${path}`)
    .set(...bearer(token));

/** Every page of a listing, `limit` at a time: the filters hold across the cursor. */
async function allPages(path: string, limit: number): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const res: { body: { items: Item[]; next_cursor: string | null } } = await get(`${path}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (cursor === null) return items;
  }
  throw new Error('too many pages');
}

/** Sign-in with Google through the fake provider, as the browser does it (flow cookie kept): the TokenPair. */
async function googleSignIn(email: string): Promise<Tokens> {
  fake.setGoogleUser({ sub: `g-${tag()}`, email, email_verified: true, name: 'Google User' });
  const init = await t.http().get('/api/v1/oauth/google/initiate').expect(302);
  const flowCookie = ((init.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith('oauth_flow='))!.split(';')[0];
  const atProvider = await fetch(init.headers.location, { redirect: 'manual' });
  const back = new URL(atProvider.headers.get('location')!);
  const cb = await t
    .http()
    .get(back.pathname + back.search)
    .set('Cookie', flowCookie)
    .expect(302);
  const code = new URL(cb.headers.location).searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  const res = await t.http().post('/api/v1/oauth/exchange').send({ code }).expect(200);
  return res.body;
}

async function addPasskey(tokens: Tokens, auth = new SoftAuthenticator()): Promise<{ passkey: Item; auth: SoftAuthenticator }> {
  const options = await t
    .http()
    .post('/api/v1/auth/passkeys/register/options')
    .set(...bearer(tokens.access_token))
    .expect(200);
  const res = await t
    .http()
    .post('/api/v1/auth/passkeys/register/verify')
    .set(...bearer(tokens.access_token))
    .send({ response: auth.createCredential(options.body, { origin: ORIGIN }), name: 'Laptop' })
    .expect(201);
  return { passkey: res.body, auth };
}

async function passkeySignIn(auth: SoftAuthenticator): Promise<Tokens> {
  const options = await t.http().post('/api/v1/auth/passkeys/login/options').send({}).expect(200);
  const res = await t
    .http()
    .post('/api/v1/auth/passkeys/login/verify')
    .send({ challenge_id: options.body.challenge_id, response: auth.getAssertion(options.body.options, { origin: ORIGIN }) })
    .expect(200);
  return res.body;
}

const enrolTotp = (tokens: Tokens) => enrolTotpFor(t, tokens.access_token);

describe('GET /admin/users?email_verified=', () => {
  it('keeps verified or unverified users only, combined with q, role, is_active and the cursor', async () => {
    const k = tag();
    const verified = await register(t, `verified.${k}@example.com`);
    const unverified = await register(t, `unverified.${k}@example.com`);
    const verifiedGuest = await register(t, `guest.${k}@example.com`);
    const verifiedOff = await register(t, `off.${k}@example.com`);
    const unverifiedGuest = await register(t, `uguest.${k}@example.com`);
    await t.sql(`UPDATE users SET email_verified_at = now() WHERE id = ANY($1::uuid[])`, [[verified.id, verifiedGuest.id, verifiedOff.id]]);
    await t.sql(`UPDATE users SET role = 'guest' WHERE id = ANY($1::uuid[])`, [[verifiedGuest.id, unverifiedGuest.id]]);
    await t.sql(`UPDATE users SET is_active = false WHERE id = $1`, [verifiedOff.id]);

    const q = async (query: string) => ids((await get(`/admin/users?q=${k}&${query}`).expect(200)).body.items);
    expect(await q('email_verified=true')).toEqual([verifiedOff.id, verifiedGuest.id, verified.id]);
    expect(await q('email_verified=false')).toEqual([unverifiedGuest.id, unverified.id]);
    expect(await q('email_verified=true&role=guest')).toEqual([verifiedGuest.id]);
    expect(await q('email_verified=false&role=guest')).toEqual([unverifiedGuest.id]);
    expect(await q('email_verified=true&is_active=false')).toEqual([verifiedOff.id]);
    expect(await q('email_verified=true&is_active=true&role=user')).toEqual([verified.id]);
    expect(await q('email_verified=false&is_active=false')).toEqual([]);

    // one user a page: the filter holds across the cursor
    expect(ids(await allPages(`/admin/users?q=${k}&email_verified=true`, 1))).toEqual([verifiedOff.id, verifiedGuest.id, verified.id]);
    expect(ids(await allPages(`/admin/users?q=${k}&email_verified=false`, 1))).toEqual([unverifiedGuest.id, unverified.id]);

    // across the whole table, and what the items say agrees with the filter
    const all = (await get('/admin/users?email_verified=false&limit=100').expect(200)).body.items as Item[];
    expect(all.every((u) => u.email_verified === false)).toBe(true);
    expect(ids(all)).toEqual(expect.arrayContaining([unverified.id, unverifiedGuest.id]));
    expect(ids(all)).not.toContain(verified.id);
    const yes = (await get('/admin/users?email_verified=true&limit=100').expect(200)).body.items as Item[];
    expect(yes.every((u) => u.email_verified === true)).toBe(true);
    expect(ids(yes)).toContain(verified.id);
  });

  it('refuses a value other than true or false with 400 validation_failed', async () => {
    for (const value of ['maybe', '1', 'yes', 'TRUE', '']) {
      const res = await get(`/admin/users?email_verified=${value}`);
      expect([value, res.status, res.body.code]).toEqual([value, 400, 'validation_failed']);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'email_verified' })]);
    }
  });
});

describe('GET /admin/sessions?auth_method=', () => {
  it('keeps the sessions of one sign-in method, combined with user_id, active and the cursor', async () => {
    // a verified account: a Google sign-in with the same (provider-verified) address links to it
    // and keeps its password and sessions
    const user = await register(t);
    await t.sql(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
    const pw1 = await login(t, user.email);
    const pw2 = await login(t, user.email);
    const pw3 = await login(t, user.email);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(pw2.access_token))
      .expect(204);
    const google = await googleSignIn(user.email);
    expect(google.user.id).toBe(user.id);
    // a passkey last: with a factor enrolled, a password or Google sign-in would need a second step
    const { auth } = await addPasskey(pw3);
    const passkey = await passkeySignIn(auth);
    expect(passkey.user.id).toBe(user.id);

    const list = async (query: string) => (await get(`/admin/sessions?user_id=${user.id}&${query}`).expect(200)).body.items as Item[];
    const password = await list('auth_method=password');
    expect(ids(password)).toEqual([pw3.session_id, pw2.session_id, pw1.session_id]);
    expect(password.every((s) => s.auth_method === 'password')).toBe(true);
    expect(ids(await list('auth_method=google'))).toEqual([google.session_id]);
    expect(ids(await list('auth_method=passkey'))).toEqual([passkey.session_id]);
    expect(await list('auth_method=github')).toEqual([]);
    // without the filter, all of them
    expect(ids(await list('limit=100'))).toEqual([passkey.session_id, google.session_id, pw3.session_id, pw2.session_id, pw1.session_id]);

    expect(ids(await list('auth_method=password&active=true'))).toEqual([pw3.session_id, pw1.session_id]);
    expect(ids(await list('auth_method=password&active=false'))).toEqual([pw2.session_id]);
    expect(ids(await list('auth_method=passkey&active=false'))).toEqual([]);

    // one session a page: the filter holds across the cursor
    expect(ids(await allPages(`/admin/sessions?user_id=${user.id}&auth_method=password`, 1))).toEqual([pw3.session_id, pw2.session_id, pw1.session_id]);

    // across every user
    const googleAll = (await get('/admin/sessions?auth_method=google&limit=100').expect(200)).body.items as Item[];
    expect(googleAll.every((s) => s.auth_method === 'google')).toBe(true);
    expect(ids(googleAll)).toContain(google.session_id);
    const passwordAll = (await get('/admin/sessions?auth_method=password&active=true&limit=100').expect(200)).body.items as Item[];
    expect(passwordAll.every((s) => s.auth_method === 'password')).toBe(true);
    expect(ids(passwordAll)).toEqual(expect.arrayContaining([pw1.session_id, pw3.session_id, admin.tokens.session_id]));
    expect(ids(passwordAll)).not.toContain(passkey.session_id);
  });

  it('refuses an unknown method with 400 validation_failed', async () => {
    for (const value of ['sms', 'PASSWORD', 'oauth', '']) {
      const res = await get(`/admin/sessions?auth_method=${value}`);
      expect([value, res.status, res.body.code]).toEqual([value, 400, 'validation_failed']);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'auth_method' })]);
    }
  });
});

describe('GET /admin/users/{id}/identities', () => {
  it("answers the user's linked provider accounts, the same items the user sees", async () => {
    const email = uniqueEmail('google');
    const tokens = await googleSignIn(email);
    const res = await get(`/admin/users/${tokens.user.id}/identities`).expect(200);
    expect(res.body).toEqual({ items: [{ provider: 'google', email, created_at: expect.any(String) }] });
    const own = await get('/users/identities', tokens.access_token).expect(200);
    expect(res.body).toEqual(own.body);

    const plain = await register(t);
    expect((await get(`/admin/users/${plain.id}/identities`).expect(200)).body).toEqual({ items: [] });
  });

  it('404 not_found for an unknown user, 400 for a malformed id', async () => {
    const unknown = await get(`/admin/users/${randomUUID()}/identities`).expect(404);
    expect(unknown.body.code).toBe('not_found');
    expect(unknown.headers['content-type']).toMatch(/problem\+json/);
    expect((await get('/admin/users/not-a-uuid/identities').expect(400)).body.code).toBe('validation_failed');
  });
});

describe('GET /admin/users/{id}/factors', () => {
  it('answers none for a user without factors', async () => {
    const user = await register(t);
    const res = await get(`/admin/users/${user.id}/factors`).expect(200);
    expect(res.body).toEqual({ totp_enabled: false, recovery_codes_remaining: 0, passkeys: [] });
  });

  it('answers TOTP, the recovery codes left and the passkeys, and never a secret', async () => {
    const me = await registerAndLogin(t);
    // a setup not confirmed is no factor
    await t
      .http()
      .post('/api/v1/auth/mfa/totp/setup')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    expect((await get(`/admin/users/${me.id}/factors`).expect(200)).body).toEqual({ totp_enabled: false, recovery_codes_remaining: 0, passkeys: [] });

    const { secret, recoveryCodes } = await enrolTotp(me.tokens);
    const { passkey } = await addPasskey(me.tokens);
    // spend one recovery code in a sign-in
    const first = await t.http().post('/api/v1/auth/login').send({ email: me.email, password: PASSWORD }).expect(200);
    expect(first.body.mfa_required).toBe(true);
    await t.http().post('/api/v1/auth/mfa/verify').send({ mfa_token: first.body.mfa_token, recovery_code: recoveryCodes[0] }).expect(200);

    const res = await get(`/admin/users/${me.id}/factors`).expect(200);
    expect(res.body).toEqual({ totp_enabled: true, recovery_codes_remaining: 9, passkeys: [passkey] });
    expect(passkey).toEqual({
      id: expect.any(String),
      name: 'Laptop',
      created_at: expect.any(String),
      last_used_at: null,
      device_type: expect.any(String),
      backed_up: false,
    });
    // the same Passkey items as the user's own listing
    const own = await get('/users/passkeys', me.tokens.access_token).expect(200);
    expect(res.body.passkeys).toEqual(own.body.items);

    const body = JSON.stringify(res.body);
    expect(body).not.toContain(secret);
    for (const code of recoveryCodes) expect(body).not.toContain(code);
    const [stored] = await t.sql<{ credential_id: string }>(`SELECT credential_id FROM passkeys WHERE user_id = $1`, [me.id]);
    expect(body).not.toContain(stored.credential_id);

    // TOTP removed: the passkey keeps the codes alive
    await t
      .http()
      .delete('/api/v1/auth/mfa/totp')
      .set(...bearer(me.tokens.access_token))
      .expect(204);
    expect((await get(`/admin/users/${me.id}/factors`).expect(200)).body).toEqual({ totp_enabled: false, recovery_codes_remaining: 9, passkeys: [passkey] });
  });

  it('404 not_found for an unknown user, 400 for a malformed id', async () => {
    const unknown = await get(`/admin/users/${randomUUID()}/factors`).expect(404);
    expect(unknown.body.code).toBe('not_found');
    expect((await get('/admin/users/42/factors').expect(400)).body.code).toBe('validation_failed');
  });
});

describe('access', () => {
  it('answers 403 forbidden to users and guests, 401 without a token, on the new routes and filters', async () => {
    const user = await registerAndLogin(t);
    const guest = await registerAndLogin(t);
    await t.sql(`UPDATE users SET role = 'guest' WHERE id = $1`, [guest.id]);
    const paths = [
      `/admin/users/${user.id}/identities`,
      `/admin/users/${user.id}/factors`,
      `/admin/users?email_verified=true`,
      `/admin/sessions?auth_method=password`,
    ];
    for (const path of paths) {
      for (const who of [user, guest]) {
        const res = await get(path, who.tokens.access_token);
        expect([path, res.status, res.body.code]).toEqual([path, 403, 'forbidden']);
      }
      expect((await t.http().get(`/api/v1${path}`)).status).toBe(401);
    }
  });
});
