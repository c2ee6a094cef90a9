import { OutboxDeliveryService } from '@app/email';
import { PASSWORD, bearer, login, makeAdmin, register, registerAndLogin, uniqueEmail } from './support/auth';
import { type FakeProvider, FakeOAuthServer } from './support/fake-oauth';
import { FakeResend } from './support/fake-resend';
import { SoftAuthenticator } from './support/soft-authenticator';
import { enrolTotp } from './support/totp';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The holes of the identity-proof review (issue 14): account takeover through linking and
 * claiming, state changes on GET, OAuth login CSRF, look-alike emails, and the smaller ones.
 * Each `describe` is one hole; every test here failed on the code before its fix.
 */
const FRONTEND_CALLBACK = 'http://app.test/oauth/callback';
let seq = 0;
const nextId = () => `${Date.now()}${++seq}`;

let fake: FakeOAuthServer;
const resend = new FakeResend();
let t: TestApp;

beforeAll(async () => {
  fake = await new FakeOAuthServer().start();
  await resend.start();
  t = await startTestApp({ ...fake.env(), RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url, LOCKOUT_THRESHOLD: '3' });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
  await resend.stop();
});

const deliver = () => t.app.get(OutboxDeliveryService).runOnce();
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

/** The flow cookie a browser would keep from initiate (name=value), or null. */
function flowCookie(res: { headers: Record<string, unknown> }): string | null {
  const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  const c = cookies.find((x) => x.startsWith('oauth_flow='));
  return c ? c.split(';')[0] : null;
}

/** The browser at the provider: where it is sent back to. */
async function atProvider(url: string): Promise<URL> {
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

async function callback(url: URL, cookie: string | null): Promise<URL> {
  const req = t.http().get(url.pathname + url.search);
  if (cookie) req.set('Cookie', cookie);
  const res = await req.expect(302);
  return new URL(res.headers.location);
}

/** initiate (as a browser: keeps the cookie) → provider → callback with that cookie. */
async function browserFlow(provider: FakeProvider, initiatePath = `/api/v1/oauth/${provider}/initiate`) {
  const init = await t.http().get(initiatePath).expect(302);
  const cookie = flowCookie(init);
  const back = await atProvider(init.headers.location);
  return { init, cookie, back, final: await callback(back, cookie) };
}

async function signIn(provider: FakeProvider) {
  const { final } = await browserFlow(provider);
  expect(final.searchParams.get('error')).toBeNull();
  const res = await t
    .http()
    .post('/api/v1/oauth/exchange')
    .send({ code: final.searchParams.get('code') });
  expect(res.status).toBe(200);
  return res.body;
}

const identitiesOf = (userId: string) =>
  t.sql<{ provider: string; provider_user_id: string }>(`SELECT provider, provider_user_id FROM oauth_identities WHERE user_id = $1 ORDER BY provider`, [
    userId,
  ]);
const auditOf = (userId: string, event: string) =>
  t.sql<{ outcome: string; metadata: Record<string, unknown>; actor_id: string | null }>(
    `SELECT outcome, metadata, actor_id FROM audit_events WHERE target_user_id = $1 AND event = $2 ORDER BY created_at`,
    [userId, event],
  );

describe('account takeover through linking (high)', () => {
  it('an unverified user cannot start a link: 403 email_not_verified, nothing stored', async () => {
    const squatter = await registerAndLogin(t, uniqueEmail('victim'));
    const res = await t
      .http()
      .post('/api/v1/oauth/github/link')
      .set(...bearer(squatter.tokens.access_token))
      .send({});
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('email_not_verified');
    expect(await identitiesOf(squatter.id)).toEqual([]);
  });

  it('the real owner signing in with a provider-verified email removes identities linked before the claim', async () => {
    const email = uniqueEmail('victim');
    const squatter = await registerAndLogin(t, email);
    // an identity linked while the address was unproven (possible before this fix)
    const attackerGh = nextId();
    await t.sql(`INSERT INTO oauth_identities (user_id, provider, provider_user_id, email) VALUES ($1, 'github', $2, 'attacker@evil.example')`, [
      squatter.id,
      attackerGh,
    ]);

    fake.setGoogleUser({ sub: nextId(), email, email_verified: true, name: 'Owner' });
    const owner = await signIn('google');
    expect(owner.user.id).toBe(squatter.id);
    expect(await identitiesOf(squatter.id)).toEqual([expect.objectContaining({ provider: 'google' })]);
    const unlinked = await auditOf(squatter.id, 'oauth.unlinked');
    expect(unlinked).toEqual([
      expect.objectContaining({ outcome: 'success', metadata: expect.objectContaining({ provider: 'github', reason: 'account_claimed' }) }),
    ]);

    // the attacker's GitHub no longer reaches the owner's account
    fake.setGithubUser({ id: Number(attackerGh), login: 'attacker' }, [{ email: uniqueEmail('attacker'), primary: true, verified: true }]);
    const attacker = await signIn('github');
    expect(attacker.user.id).not.toBe(squatter.id);
    // and the squatter's password and sessions are gone
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(squatter.tokens.access_token))
      .expect(401);
    await t.http().post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(401);
  });

  it('a claim removes the second factors and passkeys the squatter enrolled (v1.2): their passkey no longer signs in', async () => {
    const email = uniqueEmail('victim');
    const squatter = await registerAndLogin(t, email);
    // the squatter adds a passkey and a TOTP to the never-verified account
    const origin = t.config.mfa.webauthn.origins[0];
    const key = new SoftAuthenticator();
    const options = await t
      .http()
      .post('/api/v1/auth/passkeys/register/options')
      .set(...bearer(squatter.tokens.access_token))
      .expect(200);
    await t
      .http()
      .post('/api/v1/auth/passkeys/register/verify')
      .set(...bearer(squatter.tokens.access_token))
      .send({ response: key.createCredential(options.body, { origin }) })
      .expect(201);
    await enrolTotp(t, squatter.tokens.access_token);

    // the owner proves the mailbox (password reset) and claims the account
    await t.http().post('/api/v1/auth/password-reset').send({ email }).expect(202);
    await deliver();
    const token = tokenOf(resend.lastLink(email, 'Reset your password'));
    await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'Owner-Owns-This-Now-42' }).expect(204);

    const loginOptions = await t.http().post('/api/v1/auth/passkeys/login/options').send({}).expect(200);
    const viaPasskey = await t
      .http()
      .post('/api/v1/auth/passkeys/login/verify')
      .send({ challenge_id: loginOptions.body.challenge_id, response: key.getAssertion(loginOptions.body.options, { origin }) });
    expect(viaPasskey.status).toBe(401);
    // the owner signs in with the new password alone: no squatter's TOTP stands in the way
    const owner = await t.http().post('/api/v1/auth/login').send({ email, password: 'Owner-Owns-This-Now-42' }).expect(200);
    expect(owner.body.user).toMatchObject({ id: squatter.id, mfa_enabled: false, email_verified: true });
    expect(await auditOf(squatter.id, 'passkey.removed')).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ reason: 'account_claimed' }) }),
    ]);
  });

  it('a completed password reset claims a never-verified account: identities linked before are removed', async () => {
    const email = uniqueEmail('victim');
    const sub = nextId();
    // the squatter creates the account through a Google account whose email Google has not verified
    fake.setGoogleUser({ sub, email, email_verified: false });
    const squatter = await signIn('google');
    expect(squatter.user.email_verified).toBe(false);

    await t.http().post('/api/v1/auth/password-reset').send({ email }).expect(202);
    await deliver();
    const token = tokenOf(resend.lastLink(email, 'Reset your password'));
    await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'Brand-New-Passphrase-91' }).expect(204);

    expect(await identitiesOf(squatter.user.id)).toEqual([]);
    expect(await auditOf(squatter.user.id, 'oauth.unlinked')).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ provider: 'google', reason: 'account_claimed' }) }),
    ]);
    // the squatter's Google account matches the email but is unverified: no way back in
    const again = await browserFlow('google');
    expect(again.final.searchParams.get('error')).toBe('account_exists');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(squatter.access_token))
      .expect(401);
  });

  it('a reset of an already verified account keeps its identities', async () => {
    const email = uniqueEmail('owner');
    fake.setGoogleUser({ sub: nextId(), email, email_verified: true });
    const owner = await signIn('google');
    await t.http().post('/api/v1/auth/password-reset').send({ email }).expect(202);
    await deliver();
    const token = tokenOf(resend.lastLink(email, 'Reset your password'));
    await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'Brand-New-Passphrase-91' }).expect(204);
    expect(await identitiesOf(owner.user.id)).toHaveLength(1);
  });
});

describe('no state change on GET (mail scanners)', () => {
  it('the mailed link shows a confirmation page and verifies nothing; its form POST verifies and redirects', async () => {
    const user = await register(t, uniqueEmail('scan'));
    await deliver();
    const link = resend.lastLink(user.email, 'Confirm your email address');
    const url = new URL(link);

    const page = await t
      .http()
      .get(url.pathname + url.search)
      .expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toMatch(/script-src|unsafe-eval/);
    expect(page.text).not.toMatch(/<script|https?:\/\/(?!app\.test)/i);
    expect(page.text).toMatch(/<form method="post"/);
    expect(page.text).toContain(`value="${url.searchParams.get('token')}"`);
    // a scanner fetching the link (twice) verified nothing
    await t
      .http()
      .get(url.pathname + url.search)
      .expect(200);
    const [row] = await t.sql<{ email_verified_at: Date | null }>(`SELECT email_verified_at FROM users WHERE id = $1`, [user.id]);
    expect(row.email_verified_at).toBeNull();

    const post = await t
      .http()
      .post('/api/v1/auth/verify-email')
      .type('form')
      .send({ token: url.searchParams.get('token') })
      .expect(302);
    expect(post.headers.location).toBe('http://app.test/verify-email?status=success');
    const again = await t
      .http()
      .post('/api/v1/auth/verify-email')
      .type('form')
      .send({ token: url.searchParams.get('token') })
      .expect(302);
    expect(again.headers.location).toBe('http://app.test/verify-email?status=error');
    expect((await login(t, user.email)).user.email_verified).toBe(true);
  });
});

describe('OAuth state bound to the browser (login CSRF)', () => {
  it('initiate sets a short-lived HttpOnly, SameSite=Lax flow cookie on /api/v1/oauth', async () => {
    const init = await t.http().get('/api/v1/oauth/google/initiate').expect(302);
    const cookie = ((init.headers['set-cookie'] as unknown as string[]) ?? []).find((c) => c.startsWith('oauth_flow='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\/api\/v1\/oauth(;|$)/);
    expect(cookie).toMatch(/; Max-Age=600/);
  });

  it('a half-finished callback opened in another browser (no or another flow cookie) fails invalid_state and creates nothing', async () => {
    const email = uniqueEmail('csrf');
    fake.setGoogleUser({ sub: nextId(), email, email_verified: true });
    const attacker = await t.http().get('/api/v1/oauth/google/initiate').expect(302);
    const back = await atProvider(attacker.headers.location);
    // the victim's browser: no cookie, or the cookie of a flow of its own
    expect(Object.fromEntries((await callback(back, null)).searchParams)).toEqual({ error: 'invalid_state' });
    const victim = await t.http().get('/api/v1/oauth/google/initiate').expect(302);
    expect(Object.fromEntries((await callback(back, flowCookie(victim))).searchParams)).toEqual({ error: 'invalid_state' });
    expect(await t.sql(`SELECT id FROM users WHERE email = $1`, [email])).toEqual([]);
  });

  it('two flows in one browser (two tabs) both complete', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('tabs'), email_verified: true });
    const first = await t.http().get('/api/v1/oauth/google/initiate').expect(302);
    const cookie = flowCookie(first);
    const second = await t.http().get('/api/v1/oauth/google/initiate').set('Cookie', cookie!).expect(302);
    expect(flowCookie(second)).toBe(cookie);
    for (const init of [second, first]) {
      const final = await callback(await atProvider(init.headers.location), cookie);
      expect(final.searchParams.get('code')).toEqual(expect.any(String));
    }
  });

  it('link: authorize_url is this API with a single-use link ticket; the browser that opens it holds the flow cookie', async () => {
    const email = uniqueEmail('linker');
    fake.setGoogleUser({ sub: nextId(), email, email_verified: true });
    const me = await signIn('google');
    const res = await t
      .http()
      .post('/api/v1/oauth/github/link')
      .set(...bearer(me.access_token))
      .send({ redirect_to: '/settings' })
      .expect(200);
    const authorize = new URL(res.body.authorize_url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe('http://api.test/api/v1/oauth/github/initiate');
    expect([...authorize.searchParams.keys()]).toEqual(['link_ticket']);

    const ghId = Number(nextId());
    fake.setGithubUser({ id: ghId, login: 'linker' }, [{ email: uniqueEmail('gh'), primary: true, verified: true }]);
    const { final } = await browserFlow('github', authorize.pathname + authorize.search);
    expect(Object.fromEntries(final.searchParams)).toEqual({ linked: 'github', redirect_to: '/settings' });
    expect(await identitiesOf(me.user.id)).toEqual([
      expect.objectContaining({ provider: 'github', provider_user_id: String(ghId) }),
      expect.objectContaining({ provider: 'google' }),
    ]);

    // the ticket works once
    const replay = await t
      .http()
      .get(authorize.pathname + authorize.search)
      .expect(302);
    expect(replay.headers.location).toBe(`${FRONTEND_CALLBACK}?error=invalid_state`);
  });

  it('a link callback opened without the flow cookie links nothing', async () => {
    fake.setGoogleUser({ sub: nextId(), email: uniqueEmail('linker2'), email_verified: true });
    const me = await signIn('google');
    const res = await t
      .http()
      .post('/api/v1/oauth/github/link')
      .set(...bearer(me.access_token))
      .send({})
      .expect(200);
    const authorize = new URL(res.body.authorize_url);
    const init = await t
      .http()
      .get(authorize.pathname + authorize.search)
      .expect(302);
    fake.setGithubUser({ id: Number(nextId()), login: 'x' }, [{ email: uniqueEmail('gh'), primary: true, verified: true }]);
    const final = await callback(await atProvider(init.headers.location), null);
    expect(final.searchParams.get('error')).toBe('invalid_state');
    expect(await identitiesOf(me.user.id)).toHaveLength(1);
  });

  it.each([
    '/%2F%2Fevil.example',
    '/%2f%2fevil.example/x',
    '/%5Cevil.example',
    '/%5C%5Cevil.example',
    '/a%0d%0aSet-Cookie:x=y',
    '/%252F%252Fevil.example',
    '/%E0%A4%A',
  ])('redirect_to %s is refused after percent-decoding (400)', async (path) => {
    const res = await t.http().get(`/api/v1/oauth/google/initiate?redirect_to=${encodeURIComponent(path)}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });
});

describe('one canonical email (look-alikes)', () => {
  it('a dotted capital I (İ) does not reach another account nor get around its lockout', async () => {
    const email = `alice.${nextId()}@example.com`;
    await register(t, email);
    for (let i = 0; i < 3; i++) await t.http().post('/api/v1/auth/login').send({ email, password: 'wrong-password' }).expect(401);
    await t.http().post('/api/v1/auth/login').send({ email, password: PASSWORD }).expect(423);
    const variant = email.replace('alice', 'alİce');
    const res = await t.http().post('/api/v1/auth/login').send({ email: variant, password: PASSWORD });
    expect(res.status).not.toBe(200);
  });

  it('an İ in the domain does not squat the real address', async () => {
    const local = `bob.${nextId()}`;
    await register(t, `${local}@exİmple.com`);
    await register(t, `${local}@example.com`);
    const rows = await t.sql<{ email: string; email_canonical: string }>(`SELECT email, email_canonical FROM users WHERE email LIKE $1 ORDER BY email`, [
      `${local}@%`,
    ]);
    expect(rows.map((r) => r.email_canonical).sort()).toEqual([`${local}@example.com`, `${local}@xn--eximple-8he.com`]);
  });

  it('compatibility forms (fullwidth letters, case) are the same address: 409 email_taken', async () => {
    const local = `carol${nextId()}`;
    await register(t, `${local}@example.com`);
    for (const variant of [`${local.toUpperCase()}@EXAMPLE.COM`, `${local}@ｅｘａｍｐｌｅ.com`, ` ${local}@example.com `]) {
      const res = await t.http().post('/api/v1/auth/register').send({ email: variant, password: PASSWORD });
      expect([res.status, res.body.code]).toEqual([409, 'email_taken']);
    }
    // and they sign in to it, keeping the address as typed at registration
    const tokens = await login(t, `${local}@ｅｘａｍｐｌｅ.com`);
    expect(tokens.user.email).toBe(`${local}@example.com`);
  });

  it('an address whose domain cannot be converted (IDNA) is 400', async () => {
    for (const path of ['/api/v1/auth/register', '/api/v1/auth/password-reset']) {
      const res = await t.http().post(path).send({ email: 'someone@xn--zz.com', password: PASSWORD });
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'validation_failed']);
    }
  });

  it('NUL and other control or invisible characters in an email are 400, never 500', async () => {
    for (const email of ['a\u0000b@example.com', 'a@exa\u0000mple.com', 'al\u200bice@example.com', 'a\u0007@example.com']) {
      const login = await t.http().post('/api/v1/auth/login').send({ email, password: PASSWORD });
      expect([JSON.stringify(email), login.status, login.body.code]).toEqual([JSON.stringify(email), 400, 'validation_failed']);
      const reg = await t.http().post('/api/v1/auth/register').send({ email, password: PASSWORD });
      expect(reg.status).toBe(400);
    }
  });
});

describe('smaller holes', () => {
  it('a pending reset link dies when the password is changed by another route', async () => {
    const me = await registerAndLogin(t, uniqueEmail('reset'));
    await t.http().post('/api/v1/auth/password-reset').send({ email: me.email }).expect(202);
    await deliver();
    const token = tokenOf(resend.lastLink(me.email, 'Reset your password'));
    await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(me.tokens.access_token))
      .send({ current_password: PASSWORD, new_password: 'Another-Good-Passphrase-5' })
      .expect(204);
    const res = await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'Attacker-Picks-This-1' });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_token']);
  });

  it('a name never appears in mail to an address that is not verified yet', async () => {
    const phish = 'Your account is suspended, call +1 555 0100';
    const user = await register(t, uniqueEmail('phish'), PASSWORD, phish);
    await t.http().post('/api/v1/auth/password-reset').send({ email: user.email }).expect(202);
    await deliver();
    const mails = resend.mailsTo(user.email);
    expect(mails.length).toBeGreaterThanOrEqual(2);
    for (const mail of mails) expect(`${mail.subject}${mail.text}${mail.html}`).not.toContain('suspended');
  });

  it('auth.account_locked names the account it locked (target_user_id)', async () => {
    const user = await register(t, uniqueEmail('locked'));
    for (let i = 0; i < 3; i++) await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'wrong-password' }).expect(401);
    const events = await auditOf(user.id, 'auth.account_locked');
    expect(events).toHaveLength(1);
    expect(events[0].actor_id).toBeNull();
  });

  it("GET /users/audit does not show an admin's session id, address or user agent", async () => {
    const admin = await makeAdmin(t);
    const me = await registerAndLogin(t, uniqueEmail('target'));
    await t
      .http()
      .delete(`/api/v1/admin/sessions/${me.tokens.session_id}`)
      .set(...bearer(admin.tokens.access_token))
      .set('User-Agent', 'AdminConsole/1')
      .expect(204);
    const other = await login(t, me.email);
    const page = await t
      .http()
      .get('/api/v1/users/audit')
      .set(...bearer(other.access_token))
      .expect(200);
    const byAdmin = page.body.items.find((e: { event: string }) => e.event === 'admin.session_revoked');
    expect(byAdmin).toMatchObject({ actor_id: admin.id, session_id: null, ip: null, user_agent: null });
    const own = page.body.items.find((e: { event: string; outcome: string }) => e.event === 'auth.login' && e.outcome === 'success');
    expect(own.ip).not.toBeNull();
    expect(own.session_id).toBe(other.session_id);
  });
});
