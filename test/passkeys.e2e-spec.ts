import { decode } from 'jsonwebtoken';
import { bearer, forge, login, PASSWORD, registerAndLogin, type Tokens } from './support/auth';
import { SoftAuthenticator, type CreateCredentialOptions } from './support/soft-authenticator';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Passkeys (issue 18, API.md v1.2) driven by the software authenticator of test support (ES256,
 * "none" attestation) against the real server: registration, passwordless sign-in, a passkey as
 * the second factor and for step-up, and the attacks — a replayed assertion, a cloned
 * authenticator's counter, another origin, another user's passkey, the last way in.
 */
let t: TestApp;
// the default RP is FRONTEND_URL's host and origin (http://app.test in tests)
const ORIGIN = 'http://app.test';

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function addPasskey(tokens: Tokens, auth = new SoftAuthenticator(), opts: Partial<CreateCredentialOptions> = {}, name?: string) {
  const options = await t
    .http()
    .post('/api/v1/auth/passkeys/register/options')
    .set(...bearer(tokens.access_token))
    .expect(200);
  expect(options.body).toMatchObject({ rp: { id: 'app.test' }, authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' } });
  const response = auth.createCredential(options.body, { origin: ORIGIN, ...opts });
  const res = await t
    .http()
    .post('/api/v1/auth/passkeys/register/verify')
    .set(...bearer(tokens.access_token))
    .send(name ? { response, name } : { response });
  return { res, auth };
}

async function passkeyLogin(auth: SoftAuthenticator, opts: { email?: string; origin?: string; counter?: number } = {}) {
  const options = await t
    .http()
    .post('/api/v1/auth/passkeys/login/options')
    .send(opts.email ? { email: opts.email } : {})
    .expect(200);
  const assertion = auth.getAssertion(options.body.options, { origin: opts.origin ?? ORIGIN, counter: opts.counter });
  const res = await t.http().post('/api/v1/auth/passkeys/login/verify').send({ challenge_id: options.body.challenge_id, response: assertion });
  return { res, assertion, challengeId: options.body.challenge_id as string };
}

const auditCount = async (event: string, userId: string) =>
  Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE event = $1 AND target_user_id = $2`, [event, userId]))[0].n);

describe('registration', () => {
  it('registers a passkey for a signed-in user: 201 Passkey, listed, audited, and the account now has a factor', async () => {
    const me = await registerAndLogin(t);
    const { res } = await addPasskey(me.tokens, new SoftAuthenticator(), { backupEligible: true, backedUp: true }, 'Laptop');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Laptop',
      created_at: expect.any(String),
      last_used_at: null,
      device_type: 'multiDevice',
      backed_up: true,
    });
    const list = await t
      .http()
      .get('/api/v1/users/passkeys')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    expect(list.body).toEqual({ items: [res.body], next_cursor: null });
    expect(await auditCount('passkey.added', me.id)).toBe(1);
    const profile = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    expect(profile.body.mfa_enabled).toBe(true);
  });

  it('refuses a registration without user verification, from another origin, or with options used already', async () => {
    const me = await registerAndLogin(t);
    const noUv = await addPasskey(me.tokens, new SoftAuthenticator(), { userVerified: false });
    expect([noUv.res.status, noUv.res.body.code]).toEqual([400, 'validation_failed']);
    const evil = await addPasskey(me.tokens, new SoftAuthenticator(), { origin: 'https://evil.test' });
    expect(evil.res.status).toBe(400);

    const options = await t
      .http()
      .post('/api/v1/auth/passkeys/register/options')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    const response = new SoftAuthenticator().createCredential(options.body, { origin: ORIGIN });
    await t
      .http()
      .post('/api/v1/auth/passkeys/register/verify')
      .set(...bearer(me.tokens.access_token))
      .send({ response })
      .expect(201);
    const again = await t
      .http()
      .post('/api/v1/auth/passkeys/register/verify')
      .set(...bearer(me.tokens.access_token))
      .send({ response });
    expect(again.status).toBe(400);
    expect((await t.sql(`SELECT id FROM passkeys WHERE user_id = $1`, [me.id])).length).toBe(1);
  });

  it('needs a recent sign-in', async () => {
    const me = await registerAndLogin(t);
    const stale = forge(t, { sub: me.id, sid: me.tokens.session_id, role: 'user', auth_time: Math.floor(Date.now() / 1000) - 3600 });
    const res = await t
      .http()
      .post('/api/v1/auth/passkeys/register/options')
      .set(...bearer(stale));
    expect([res.status, res.body.code]).toEqual([403, 'reauth_required']);
  });
});

describe('passwordless sign-in', () => {
  it('a discoverable passkey signs in: TokenPair, session auth_method passkey, amr swk (platform) or hwk (security key)', async () => {
    const me = await registerAndLogin(t);
    const { auth } = await addPasskey(me.tokens);
    const { res } = await passkeyLogin(auth);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(me.id);
    const claims = decode(res.body.access_token) as Record<string, unknown>;
    expect(claims.amr).toEqual(['swk']);
    const [row] = await t.sql<{ auth_method: string }>(`SELECT auth_method FROM sessions WHERE id = $1`, [res.body.session_id]);
    expect(row.auth_method).toBe('passkey');

    const key = await addPasskey(me.tokens, new SoftAuthenticator(), { attachment: 'cross-platform' });
    expect(key.res.body.name).toBe('Security key');
    const viaKey = await passkeyLogin(key.auth);
    expect((decode(viaKey.res.body.access_token) as Record<string, unknown>).amr).toEqual(['hwk']);
  });

  it('an assertion works once; a counter that goes back (a cloned authenticator) and another origin are refused', async () => {
    const me = await registerAndLogin(t);
    const { auth } = await addPasskey(me.tokens);
    const first = await passkeyLogin(auth);
    expect(first.res.status).toBe(200);
    const replay = await t.http().post('/api/v1/auth/passkeys/login/verify').send({ challenge_id: first.challengeId, response: first.assertion });
    expect([replay.status, replay.body.code]).toEqual([401, 'invalid_mfa_code']);

    await passkeyLogin(auth).then(({ res }) => expect(res.status).toBe(200)); // counter 2
    const cloned = await passkeyLogin(auth, { counter: 1 });
    expect([cloned.res.status, cloned.res.body.code]).toEqual([401, 'invalid_mfa_code']);
    const phished = await passkeyLogin(auth, { origin: 'https://app.test.evil.example' });
    expect(phished.res.status).toBe(401);
  });

  it('with an email, only that account’s passkey is accepted', async () => {
    const a = await registerAndLogin(t);
    const b = await registerAndLogin(t);
    const { auth } = await addPasskey(a.tokens);
    const wrong = await passkeyLogin(auth, { email: b.email });
    expect(wrong.res.status).toBe(401);
    const right = await passkeyLogin(auth, { email: a.email });
    expect(right.res.status).toBe(200);
  });
});

describe('a passkey as the second factor and for step-up', () => {
  it('password sign-in of a user with a passkey asks for it; the assertion finishes the sign-in (amr pwd + swk)', async () => {
    const me = await registerAndLogin(t);
    const { auth } = await addPasskey(me.tokens);
    const first = await t.http().post('/api/v1/auth/login').send({ email: me.email, password: PASSWORD }).expect(200);
    expect(first.body).toMatchObject({ mfa_required: true, methods: ['webauthn'] });
    const options = await t.http().post('/api/v1/auth/mfa/webauthn/options').send({ mfa_token: first.body.mfa_token }).expect(200);
    expect(options.body.allowCredentials).toHaveLength(1);
    const done = await t
      .http()
      .post('/api/v1/auth/mfa/verify')
      .send({ mfa_token: first.body.mfa_token, webauthn: auth.getAssertion(options.body, { origin: ORIGIN }) })
      .expect(200);
    expect((decode(done.body.access_token) as Record<string, unknown>).amr).toEqual(['pwd', 'swk']);
  });

  it("another user's passkey does not finish someone else's sign-in", async () => {
    const victim = await registerAndLogin(t);
    await addPasskey(victim.tokens);
    const attacker = await registerAndLogin(t);
    const { auth: attackerKey } = await addPasskey(attacker.tokens);
    const first = await t.http().post('/api/v1/auth/login').send({ email: victim.email, password: PASSWORD }).expect(200);
    const options = await t.http().post('/api/v1/auth/mfa/webauthn/options').send({ mfa_token: first.body.mfa_token }).expect(200);
    // the attacker's authenticator answers the challenge with its own credential
    const assertion = attackerKey.getAssertion({ ...options.body, allowCredentials: [] }, { origin: ORIGIN });
    const res = await t.http().post('/api/v1/auth/mfa/verify').send({ mfa_token: first.body.mfa_token, webauthn: assertion });
    expect([res.status, res.body.code]).toEqual([401, 'invalid_mfa_code']);
  });

  it('reauthenticates with a passkey (challenge from the login options)', async () => {
    const me = await registerAndLogin(t);
    const { auth } = await addPasskey(me.tokens);
    const stale = forge(t, { sub: me.id, sid: me.tokens.session_id, role: 'user', auth_time: Math.floor(Date.now() / 1000) - 3600 });
    const options = await t.http().post('/api/v1/auth/passkeys/login/options').send({}).expect(200);
    const res = await t
      .http()
      .post('/api/v1/auth/reauthenticate')
      .set(...bearer(stale))
      .send({ webauthn: auth.getAssertion(options.body.options, { origin: ORIGIN }), challenge_id: options.body.challenge_id })
      .expect(200);
    expect((decode(res.body.access_token) as Record<string, unknown>).amr).toEqual(expect.arrayContaining(['swk']));
  });
});

describe('managing passkeys', () => {
  it("rename and delete your own; another user's is 404; the last way in is 409 last_login_method", async () => {
    const me = await registerAndLogin(t);
    const other = await registerAndLogin(t);
    const { res: added } = await addPasskey(me.tokens);
    const id = added.body.id;
    const renamed = await t
      .http()
      .patch(`/api/v1/users/passkeys/${id}`)
      .set(...bearer(me.tokens.access_token))
      .send({ name: '  Phone  ' })
      .expect(200);
    expect(renamed.body.name).toBe('Phone');
    for (const req of [t.http().patch(`/api/v1/users/passkeys/${id}`).send({ name: 'mine now' }), t.http().delete(`/api/v1/users/passkeys/${id}`)]) {
      const res = await req.set(...bearer(other.tokens.access_token));
      expect(res.status).toBe(404);
    }

    // an account without a password whose only way in is this passkey
    await t.sql(`UPDATE users SET password_hash = NULL WHERE id = $1`, [me.id]);
    const last = await t
      .http()
      .delete(`/api/v1/users/passkeys/${id}`)
      .set(...bearer(me.tokens.access_token));
    expect([last.status, last.body.code]).toEqual([409, 'last_login_method']);
    expect((await t.sql(`SELECT id FROM passkeys WHERE id = $1`, [id])).length).toBe(1);

    const { res: second } = await addPasskey(me.tokens);
    await t
      .http()
      .delete(`/api/v1/users/passkeys/${id}`)
      .set(...bearer(me.tokens.access_token))
      .expect(204);
    expect(await auditCount('passkey.removed', me.id)).toBe(1);
    expect(second.status).toBe(201);
  });

  it('a passkey counts as a way in: an account without a password may unlink its only provider when it has one', async () => {
    const me = await registerAndLogin(t);
    await t.sql(`INSERT INTO oauth_identities (user_id, provider, provider_user_id, email) VALUES ($1, 'google', $2, $3)`, [me.id, `g-${me.id}`, me.email]);
    await t.sql(`UPDATE users SET password_hash = NULL WHERE id = $1`, [me.id]);
    const refused = await t
      .http()
      .delete('/api/v1/users/identities/google')
      .set(...bearer(me.tokens.access_token));
    expect([refused.status, refused.body.code]).toEqual([409, 'last_login_method']);
    await addPasskey(me.tokens);
    await t
      .http()
      .delete('/api/v1/users/identities/google')
      .set(...bearer(me.tokens.access_token))
      .expect(204);
  });

  it('removing the last factor turns mfa_enabled off: sign-in is one step again', async () => {
    const me = await registerAndLogin(t);
    const { res } = await addPasskey(me.tokens);
    await t
      .http()
      .delete(`/api/v1/users/passkeys/${res.body.id}`)
      .set(...bearer(me.tokens.access_token))
      .expect(204);
    const tokens = await login(t, me.email);
    expect(tokens.user).toMatchObject({ id: me.id });
    expect((tokens.user as unknown as { mfa_enabled: boolean }).mfa_enabled).toBe(false);
  });
});
