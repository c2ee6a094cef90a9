import { decode } from 'jsonwebtoken';
import { bearer, forge, login, makeAdmin, PASSWORD, register, registerAndLogin, type Tokens, uniqueEmail } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';
import { enrolTotp as enrolTotpFor, totpCode, type TotpEnrolment } from './support/totp';

/**
 * Second factors (issue 18, API.md "Multi-factor and passkeys (v1.2)"): TOTP enrolment, the
 * second step of a sign-in, recovery codes, step-up, the admin reset, and the attacks on them
 * (replay, guessing past the lockout, racing one mfa_token twice).
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ LOCKOUT_THRESHOLD: '5' });
});
afterAll(async () => {
  await t?.close();
});

const STEP_MS = 30_000;

const enrolTotp = (tokens: Tokens): Promise<TotpEnrolment> => enrolTotpFor(t, tokens.access_token);

async function passwordStep(email: string, password = PASSWORD) {
  const res = await t.http().post('/api/v1/auth/login').send({ email, password });
  return res;
}

async function verify(body: Record<string, unknown>) {
  return t.http().post('/api/v1/auth/mfa/verify').send(body);
}

const auditCount = async (event: string, userId: string) =>
  Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE event = $1 AND target_user_id = $2`, [event, userId]))[0].n);

describe('TOTP enrolment', () => {
  it('setup gives a secret, an otpauth URI and an SVG QR code; confirm needs the right code and returns 10 recovery codes', async () => {
    const me = await registerAndLogin(t);
    const setup = await t
      .http()
      .post('/api/v1/auth/mfa/totp/setup')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/.+secret=[A-Z2-7]{32}.*/);
    expect(setup.body.otpauth_uri).toContain('algorithm=SHA1');
    expect(setup.body.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    // pending only: a sign-in still needs no second step
    expect((await passwordStep(me.email)).body.access_token).toBeDefined();

    const wrong = String((Number(totpCode(setup.body.secret)) + 500_000) % 1_000_000).padStart(6, '0');
    const refused = await t
      .http()
      .post('/api/v1/auth/mfa/totp/confirm')
      .set(...bearer(me.tokens.access_token))
      .send({ code: wrong });
    expect([refused.status, refused.body.code]).toEqual([401, 'invalid_mfa_code']);

    const ok = await t
      .http()
      .post('/api/v1/auth/mfa/totp/confirm')
      .set(...bearer(me.tokens.access_token))
      .send({ code: totpCode(setup.body.secret) })
      .expect(200);
    expect(ok.body.recovery_codes).toHaveLength(10);
    expect(new Set(ok.body.recovery_codes).size).toBe(10);
    const profile = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(me.tokens.access_token))
      .expect(200);
    expect(profile.body).toMatchObject({ mfa_enabled: true, has_password: true });
    expect(await auditCount('mfa.enabled', me.id)).toBe(1);
  });

  it('confirm without a pending setup is 404; a code that is not 6 digits is 400', async () => {
    const me = await registerAndLogin(t);
    const none = await t
      .http()
      .post('/api/v1/auth/mfa/totp/confirm')
      .set(...bearer(me.tokens.access_token))
      .send({ code: '123456' });
    expect(none.status).toBe(404);
    const bad = await t
      .http()
      .post('/api/v1/auth/mfa/totp/confirm')
      .set(...bearer(me.tokens.access_token))
      .send({ code: '12ab56' });
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
  });
});

describe('sign-in with a second factor', () => {
  it('the password step answers mfa_required (no session yet); the TOTP step returns a TokenPair with amr and auth_time', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const sessionsBefore = (await t.sql(`SELECT id FROM sessions WHERE user_id = $1`, [me.id])).length;

    const first = await passwordStep(me.email);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ mfa_required: true, mfa_token: expect.any(String), methods: ['totp', 'recovery_code'], expires_in: 300 });
    expect(first.body.access_token).toBeUndefined();
    expect((await t.sql(`SELECT id FROM sessions WHERE user_id = $1`, [me.id])).length).toBe(sessionsBefore);

    const second = await verify({ mfa_token: first.body.mfa_token, code: totpCode(f.secret, f.t0 + STEP_MS) });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ token_type: 'bearer', session_id: expect.any(String), user: { id: me.id, mfa_enabled: true } });
    const claims = decode(second.body.access_token) as Record<string, unknown>;
    expect(claims.amr).toEqual(['pwd', 'otp']);
    expect(Math.abs(Number(claims.auth_time) - Date.now() / 1000)).toBeLessThan(30);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(second.body.access_token))
      .expect(200);

    // the mfa_token is single use
    const again = await verify({ mfa_token: first.body.mfa_token, code: totpCode(f.secret, f.t0 + STEP_MS) });
    expect([again.status, again.body.code]).toEqual([401, 'invalid_mfa_token']);
  });

  it('a TOTP code is accepted once: the same code (or an older step) on a new sign-in is refused', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const code = totpCode(f.secret, f.t0 + STEP_MS);
    const a = await passwordStep(me.email);
    await verify({ mfa_token: a.body.mfa_token, code }).then((r) => expect(r.status).toBe(200));

    const b = await passwordStep(me.email);
    const replay = await verify({ mfa_token: b.body.mfa_token, code });
    expect([replay.status, replay.body.code]).toEqual([401, 'invalid_mfa_code']);
    const older = await verify({ mfa_token: b.body.mfa_token, code: totpCode(f.secret, f.t0 - STEP_MS) });
    expect([older.status, older.body.code]).toEqual([401, 'invalid_mfa_code']);
    expect(await auditCount('mfa.challenge_failed', me.id)).toBe(2);
  });

  it('an mfa_token dies after 5 wrong codes: the right one is then refused too', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const first = await passwordStep(me.email);
    const right = totpCode(f.secret, f.t0 + STEP_MS);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    // the lockout (5 per email) would stop this first: give the account room
    await t.sql(`DELETE FROM login_attempts`);
    for (let i = 0; i < 4; i++) {
      const r = await verify({ mfa_token: first.body.mfa_token, code: wrong });
      expect([r.status, r.body.code]).toEqual([401, 'invalid_mfa_code']);
      await t.sql(`DELETE FROM login_attempts`);
    }
    const fifth = await verify({ mfa_token: first.body.mfa_token, code: wrong });
    expect(fifth.status).toBe(401);
    await t.sql(`DELETE FROM login_attempts`);
    const dead = await verify({ mfa_token: first.body.mfa_token, code: right });
    expect([dead.status, dead.body.code]).toEqual([401, 'invalid_mfa_token']);
  });

  it('wrong codes count toward the lockout, and a known password does not reset it between guesses', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const wrong = String((Number(totpCode(f.secret, f.t0 + STEP_MS)) + 7) % 1_000_000).padStart(6, '0');
    // an attacker who has the password: sign in, guess once, sign in again, guess again, ...
    const statuses: number[] = [];
    for (let i = 0; i < 6 && !statuses.includes(423); i++) {
      const step = await passwordStep(me.email);
      statuses.push(step.status);
      if (step.status !== 200) break;
      statuses.push((await verify({ mfa_token: step.body.mfa_token, code: wrong })).status);
    }
    expect(statuses).toContain(423);
    // locked: even the right code does not get through now
    const locked = await passwordStep(me.email);
    expect([locked.status, locked.body.code]).toEqual([423, 'account_locked']);
    expect(locked.headers['retry-after']).toBeDefined();
  });

  it('two verifications racing with one mfa_token: exactly one session', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const first = await passwordStep(me.email);
    const results = await Promise.all([
      verify({ mfa_token: first.body.mfa_token, code: totpCode(f.secret, f.t0 + STEP_MS) }),
      verify({ mfa_token: first.body.mfa_token, recovery_code: f.recoveryCodes[0] }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('exactly one proof: none or two is 400 and changes nothing', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const first = await passwordStep(me.email);
    const none = await verify({ mfa_token: first.body.mfa_token });
    expect([none.status, none.body.code]).toEqual([400, 'validation_failed']);
    const two = await verify({ mfa_token: first.body.mfa_token, code: '123456', recovery_code: f.recoveryCodes[0] });
    expect([two.status, two.body.code]).toEqual([400, 'validation_failed']);
    const unknown = await verify({ mfa_token: 'nope', code: '123456' });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'invalid_mfa_token']);
    // the token is still good
    await verify({ mfa_token: first.body.mfa_token, recovery_code: f.recoveryCodes[0] }).then((r) => expect(r.status).toBe(200));
  });
});

describe('recovery codes', () => {
  it('each code works once (any case, with or without dashes); a new set kills the old one', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const a = await passwordStep(me.email);
    const typed = f.recoveryCodes[0].toUpperCase().replace(/-/g, ' ');
    const ok = await verify({ mfa_token: a.body.mfa_token, recovery_code: typed });
    expect(ok.status).toBe(200);
    expect(await auditCount('mfa.recovery_code_used', me.id)).toBe(1);

    const b = await passwordStep(me.email);
    const reused = await verify({ mfa_token: b.body.mfa_token, recovery_code: f.recoveryCodes[0] });
    expect([reused.status, reused.body.code]).toEqual([401, 'invalid_mfa_code']);

    const fresh = await t
      .http()
      .post('/api/v1/auth/mfa/recovery-codes')
      .set(...bearer(ok.body.access_token))
      .expect(200);
    expect(fresh.body.recovery_codes).toHaveLength(10);
    const old = await verify({ mfa_token: b.body.mfa_token, recovery_code: f.recoveryCodes[1] });
    expect([old.status, old.body.code]).toEqual([401, 'invalid_mfa_code']);
    await verify({ mfa_token: b.body.mfa_token, recovery_code: fresh.body.recovery_codes[0] }).then((r) => expect(r.status).toBe(200));
  });

  it('disabling TOTP (the last factor) kills the recovery codes; sign-in is one step again', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    await t
      .http()
      .delete('/api/v1/auth/mfa/totp')
      .set(...bearer(me.tokens.access_token))
      .expect(204);
    expect(await auditCount('mfa.disabled', me.id)).toBe(1);
    expect((await t.sql(`SELECT id FROM mfa_recovery_codes WHERE user_id = $1`, [me.id])).length).toBe(0);
    const res = await passwordStep(me.email);
    expect(res.body).toMatchObject({ access_token: expect.any(String), user: { mfa_enabled: false } });
    expect(f.recoveryCodes).toHaveLength(10);
    const regen = await t
      .http()
      .post('/api/v1/auth/mfa/recovery-codes')
      .set(...bearer(me.tokens.access_token));
    expect(regen.status).toBe(404);
  });
});

describe('step-up (recent authentication)', () => {
  const staleToken = (me: { id: string; tokens: Tokens }, role = 'user') =>
    forge(t, { sub: me.id, sid: me.tokens.session_id, role, auth_time: Math.floor(Date.now() / 1000) - 601, amr: ['pwd'] });

  it('sensitive actions need auth_time within REAUTH_WINDOW: 403 reauth_required, then POST /auth/reauthenticate', async () => {
    const me = await registerAndLogin(t);
    const stale = staleToken(me);
    for (const [method, path, body] of [
      ['post', '/api/v1/auth/mfa/totp/setup', undefined],
      ['post', '/api/v1/auth/password/change', { current_password: PASSWORD, new_password: 'another Correct-Horse-8' }],
      ['delete', '/api/v1/users/identities/google', undefined],
      ['post', '/api/v1/oauth/github/link', undefined],
    ] as const) {
      const req = method === 'post' ? t.http().post(path) : t.http().delete(path);
      const res = await req.set(...bearer(stale)).send(body);
      expect([path, res.status, res.body.code]).toEqual([path, 403, 'reauth_required']);
    }
    // a token without auth_time (issued before v1.2) is not recent either
    const legacy = forge(t, { sub: me.id, sid: me.tokens.session_id, role: 'user' });
    const old = await t
      .http()
      .post('/api/v1/auth/mfa/totp/setup')
      .set(...bearer(legacy));
    expect([old.status, old.body.code]).toEqual([403, 'reauth_required']);
    // non-sensitive routes are unaffected
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(stale))
      .expect(200);

    const wrong = await t
      .http()
      .post('/api/v1/auth/reauthenticate')
      .set(...bearer(stale))
      .send({ password: 'not the password' });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_credentials']);
    const re = await t
      .http()
      .post('/api/v1/auth/reauthenticate')
      .set(...bearer(stale))
      .send({ password: PASSWORD })
      .expect(200);
    expect(re.body).toEqual({ access_token: expect.any(String), expires_in: expect.any(Number) });
    const claims = decode(re.body.access_token) as Record<string, unknown>;
    expect(claims.sid).toBe(me.tokens.session_id);
    expect(Math.abs(Number(claims.auth_time) - Date.now() / 1000)).toBeLessThan(30);
    await t
      .http()
      .post('/api/v1/auth/mfa/totp/setup')
      .set(...bearer(re.body.access_token))
      .expect(200);
    expect(await auditCount('auth.reauthenticated', me.id)).toBe(2); // one failure, one success

    // a refresh keeps the session's fresh auth_time
    const refreshed = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: me.tokens.refresh_token }).expect(200);
    expect((decode(refreshed.body.access_token) as Record<string, unknown>).auth_time).toBe(claims.auth_time);
  });

  it('an account with a second factor reauthenticates with it, not with the password alone', async () => {
    const me = await registerAndLogin(t);
    const f = await enrolTotp(me.tokens);
    const stale = staleToken(me);
    const pwd = await t
      .http()
      .post('/api/v1/auth/reauthenticate')
      .set(...bearer(stale))
      .send({ password: PASSWORD });
    expect([pwd.status, pwd.body.code]).toEqual([400, 'validation_failed']);
    const ok = await t
      .http()
      .post('/api/v1/auth/reauthenticate')
      .set(...bearer(stale))
      .send({ code: totpCode(f.secret, f.t0 + STEP_MS) })
      .expect(200);
    expect((decode(ok.body.access_token) as Record<string, unknown>).amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    await t
      .http()
      .delete('/api/v1/auth/mfa/totp')
      .set(...bearer(ok.body.access_token))
      .expect(204);
  });
});

describe('admin reset', () => {
  it("DELETE /admin/users/{id}/mfa removes every factor, revokes the user's sessions, and is audited", async () => {
    const admin = await makeAdmin(t);
    const me = await registerAndLogin(t);
    await enrolTotp(me.tokens);
    await t
      .http()
      .delete(`/api/v1/admin/users/${me.id}/mfa`)
      .set(...bearer(admin.tokens.access_token))
      .expect(204);
    const old = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(me.tokens.access_token));
    expect([old.status, old.body.code]).toEqual([401, 'token_revoked']);
    const res = await passwordStep(me.email);
    expect(res.body).toMatchObject({ access_token: expect.any(String), user: { mfa_enabled: false } });
    expect(await auditCount('mfa.reset_by_admin', me.id)).toBe(1);

    const missing = await t
      .http()
      .delete(`/api/v1/admin/users/00000000-0000-4000-8000-000000000000/mfa`)
      .set(...bearer(admin.tokens.access_token));
    expect(missing.status).toBe(404);
    const notAdmin = await t
      .http()
      .delete(`/api/v1/admin/users/${me.id}/mfa`)
      .set(...bearer(res.body.access_token));
    expect([notAdmin.status, notAdmin.body.code]).toEqual([403, 'forbidden']);
  });
});

describe('MFA_REQUIRED_ROLES', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp({ MFA_REQUIRED_ROLES: 'admin' });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('an admin without a factor may only enrol (403 mfa_enrollment_required elsewhere); after enrolling, everything works', async () => {
    const email = uniqueEmail('admin');
    const admin = await register(strict, email);
    await strict.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const tokens = await login(strict, email);
    const blocked = await strict
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(tokens.access_token));
    expect([blocked.status, blocked.body.code]).toEqual([403, 'mfa_enrollment_required']);
    await strict
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(tokens.access_token))
      .expect(200);

    const setup = await strict
      .http()
      .post('/api/v1/auth/mfa/totp/setup')
      .set(...bearer(tokens.access_token))
      .expect(200);
    await strict
      .http()
      .post('/api/v1/auth/mfa/totp/confirm')
      .set(...bearer(tokens.access_token))
      .send({ code: totpCode(setup.body.secret) })
      .expect(200);
    await strict
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(tokens.access_token))
      .expect(200);

    // a plain user is not concerned
    const user = await register(strict, uniqueEmail());
    const userTokens = await login(strict, user.email);
    await strict
      .http()
      .get('/api/v1/users/sessions')
      .set(...bearer(userTokens.access_token))
      .expect(200);
  });
});
