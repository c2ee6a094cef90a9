import { PASSWORD, bearer, forge, login, register, registerAndLogin, uniqueEmail } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('Accounts: register, login, me, profile', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('registers a user (201 User, trimmed email, no secret fields)', async () => {
    const email = uniqueEmail('reg');
    const res = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: `  ${email}  `, password: PASSWORD, name: 'Ada' })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email,
      name: 'Ada',
      role: 'user',
      email_verified: false,
      is_active: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_signin_at: null,
      mfa_enabled: false,
      has_password: true,
    });
    const [row] = await t.sql<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [res.body.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(res.body)).not.toContain('argon2');
  });

  it('refuses an email that exists, case-insensitively (409 email_taken)', async () => {
    const email = uniqueEmail('dup');
    await register(t, email);
    const res = await t.http().post('/api/v1/auth/register').send({ email: email.toUpperCase(), password: PASSWORD }).expect(409);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 409, code: 'email_taken' });
  });

  it('lets exactly one of 20 concurrent registrations of one email win', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t
          .http()
          .post('/api/v1/auth/register')
          .send({ email: i % 2 ? email : email.toUpperCase(), password: PASSWORD }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const [{ count }] = await t.sql<{ count: string }>(`SELECT count(*) FROM users WHERE lower(email) = lower($1)`, [email]);
    expect(Number(count)).toBe(1);
  });

  it('enforces the password policy with field errors', async () => {
    const short = await t.http().post('/api/v1/auth/register').send({ email: uniqueEmail(), password: 'short' }).expect(400);
    expect(short.body.code).toBe('validation_failed');
    expect(short.body.errors).toEqual([{ field: 'password', message: 'must be at least 8 characters' }]);
    const weak = await t.http().post('/api/v1/auth/register').send({ email: uniqueEmail(), password: 'weakpass' }).expect(400);
    expect(weak.body.errors).toEqual([{ field: 'password', message: expect.stringMatching(/^is too easy to guess/) }]);
  });

  it('rejects invalid and unknown fields with validation_failed and changes nothing', async () => {
    const email = uniqueEmail('bad');
    const bad = await t.http().post('/api/v1/auth/register').send({ email: 'not-an-email', password: PASSWORD }).expect(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'email', message: expect.any(String) }] });
    const unknown = await t.http().post('/api/v1/auth/register').send({ email, password: PASSWORD, role: 'admin' }).expect(400);
    expect(unknown.body.code).toBe('validation_failed');
    expect(unknown.body.errors).toEqual([{ field: 'role', message: expect.stringContaining('should not exist') }]);
    const notObject = await t.http().post('/api/v1/auth/register').set('Content-Type', 'application/json').send('[1,2]').expect(400);
    expect(notObject.body.code).toBe('validation_failed');
    expect(await t.sql(`SELECT 1 FROM users WHERE lower(email) = lower($1)`, [email])).toHaveLength(0);
  });

  it('logs in with a TokenPair and records the session with ip and user agent', async () => {
    const user = await register(t);
    const res = await t
      .http()
      .post('/api/v1/auth/login')
      .set('User-Agent', 'Browser/1.0')
      .send({ email: ` ${user.email.toUpperCase()} `, password: PASSWORD })
      .expect(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 1800,
      refresh_expires_in: 7 * 24 * 3600,
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      user: expect.objectContaining({ id: user.id, email: user.email, last_signin_at: expect.any(String) }),
    });
    expect(res.body.refresh_token.split('.')).toHaveLength(1);
    const [session] = await t.sql<Record<string, string>>(`SELECT * FROM sessions WHERE id = $1`, [res.body.session_id]);
    expect(session).toMatchObject({ user_id: user.id, auth_method: 'password', user_agent: 'Browser/1.0' });
    expect(session.ip).toMatch(/127\.0\.0\.1|::1/);
    const stored = await t.sql(`SELECT 1 FROM refresh_tokens WHERE token_hash = $1`, [res.body.refresh_token]);
    expect(stored).toHaveLength(0);
    // the sign-in is stamped on the account, not only in the response, and the lockout window is cleared
    const me = await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
    expect(me.body.last_signin_at).toBe(res.body.user.last_signin_at);
    expect(await t.sql(`SELECT 1 FROM login_attempts WHERE email_key = lower($1)`, [user.email])).toHaveLength(0);
  });

  it('answers a wrong password and an unknown email with identical 401 bodies', async () => {
    const user = await register(t);
    const wrong = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).expect(401);
    const unknown = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: uniqueEmail('nobody'), password: 'Wrong-Password-1' })
      .expect(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body).toMatchObject({ code: 'invalid_credentials', detail: 'Invalid email or password' });
  });

  it('serves /auth/me and the profile; only name is writable', async () => {
    const { tokens, id } = await registerAndLogin(t);
    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(tokens.access_token))
      .expect(200);
    expect(me.body.id).toBe(id);
    const profile = await t
      .http()
      .get('/api/v1/users/profile')
      .set(...bearer(tokens.access_token))
      .expect(200);
    expect(profile.body).toEqual(me.body);

    const renamed = await t
      .http()
      .put('/api/v1/users/profile')
      .set(...bearer(tokens.access_token))
      .send({ name: '  Grace  ' })
      .expect(200);
    expect(renamed.body.name).toBe('Grace');
    for (const field of [{ role: 'admin' }, { email: 'x@example.com' }, { is_active: false }, { email_verified: true }]) {
      const res = await t
        .http()
        .put('/api/v1/users/profile')
        .set(...bearer(tokens.access_token))
        .send({ name: 'X', ...field })
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const after = await t
      .http()
      .get('/api/v1/users/profile')
      .set(...bearer(tokens.access_token))
      .expect(200);
    expect(after.body).toMatchObject({ name: 'Grace', role: 'user', is_active: true, email_verified: false });
  });

  it('requires a bearer token on protected routes', async () => {
    const none = await t.http().get('/api/v1/auth/me').expect(401);
    expect(none.body.code).toBe('unauthorized');
    const basic = await t.http().get('/api/v1/auth/me').set('Authorization', 'Basic abc').expect(401);
    expect(basic.body.code).toBe('unauthorized');
    const garbage = await t.http().get('/api/v1/auth/me').set('Authorization', 'Bearer garbage').expect(401);
    expect(garbage.body.code).toBe('unauthorized');
  });
});

describe('Accounts: forged and expired access tokens', () => {
  let t: TestApp;
  let sub: string;
  let sid: string;
  beforeAll(async () => {
    t = await startTestApp();
    const { tokens } = await registerAndLogin(t);
    sub = tokens.user.id;
    sid = tokens.session_id;
  });
  afterAll(() => t.close());

  const call = (token: string) =>
    t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(token));

  it('accepts a correctly forged-by-us token (control)', async () => {
    await call(forge(t, { sub, sid })).expect(200);
  });

  it.each([
    ['alg none', {}, { algorithm: 'none' as const }, 'token_invalid'],
    ['another secret', {}, { secret: 'x'.repeat(48) }, 'token_invalid'],
    ['HS512 instead of HS256', {}, { algorithm: 'HS512' as const }, 'token_invalid'],
    ['wrong audience', { aud: 'someone-else' }, {}, 'token_invalid'],
    ['wrong issuer', { iss: 'https://evil.example' }, {}, 'token_invalid'],
    ['typ refresh', { typ: 'refresh' }, {}, 'token_invalid'],
    ['expired', { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }, {}, 'token_expired'],
  ])('refuses %s', async (_name, claims, opts, code) => {
    const res = await call(forge(t, { sub, sid, ...claims }, opts)).expect(401);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe(code);
  });

  it('refuses a validly signed token for a session that does not exist', async () => {
    const res = await call(forge(t, { sub, sid: '00000000-0000-4000-8000-000000000000' })).expect(401);
    expect(res.body.code).toBe('token_revoked');
  });
});

describe('Accounts: refresh rotation, reuse detection and the grace window', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const refresh = (token: string) => t.http().post('/api/v1/auth/refresh').send({ refresh_token: token });

  it('rotates: a new refresh token and a new access token every time', async () => {
    const { tokens } = await registerAndLogin(t);
    const r1 = await refresh(tokens.refresh_token).expect(200);
    expect(r1.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(r1.body.session_id).toBe(tokens.session_id);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(r1.body.access_token))
      .expect(200);
    const r2 = await refresh(r1.body.refresh_token).expect(200);
    expect(r2.body.refresh_token).not.toBe(r1.body.refresh_token);
  });

  it('gives 10 concurrent refreshes with one token the same new token and keeps the session', async () => {
    const { tokens } = await registerAndLogin(t);
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(tokens.refresh_token)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const distinct = new Set(results.map((r) => r.body.refresh_token));
    expect(distinct.size).toBe(1);
    const [next] = [...distinct];
    const onward = await refresh(next).expect(200);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(onward.body.access_token))
      .expect(200);
  });

  it('treats a token two rotations old as reuse: 401 refresh_token_reused and the family dies', async () => {
    const { tokens } = await registerAndLogin(t);
    const r1 = await refresh(tokens.refresh_token).expect(200);
    const r2 = await refresh(r1.body.refresh_token).expect(200);
    const reuse = await refresh(tokens.refresh_token).expect(401);
    expect(reuse.body.code).toBe('refresh_token_reused');
    const newest = await refresh(r2.body.refresh_token).expect(401);
    expect(newest.body.code).toBe('invalid_refresh_token');
    const access = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(r2.body.access_token))
      .expect(401);
    expect(access.body.code).toBe('token_revoked');
    const [event] = await t.sql<{ outcome: string; session_id: string }>(
      `SELECT outcome, session_id FROM audit_events WHERE event = 'auth.refresh_reused' AND target_user_id = $1`,
      [tokens.user.id],
    );
    expect(event).toEqual({ outcome: 'failure', session_id: tokens.session_id });
  });

  it('refuses unknown tokens and missing tokens', async () => {
    const res = await refresh('not-a-token-we-issued').expect(401);
    expect(res.body.code).toBe('invalid_refresh_token');
    const missing = await t.http().post('/api/v1/auth/refresh').send({}).expect(400);
    expect(missing.body.code).toBe('validation_failed');
  });

  it('treats the parent as reuse once the grace window has passed', async () => {
    const short = await startTestApp({ JWT_REFRESH_GRACE: '1' });
    try {
      const user = await register(short);
      const tokens = await login(short, user.email);
      const r1 = await short.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(200);
      const within = await short.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(200);
      expect(within.body.refresh_token).toBe(r1.body.refresh_token);
      await new Promise((r) => setTimeout(r, 1200));
      const late = await short.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(401);
      expect(late.body.code).toBe('refresh_token_reused');
      await short.http().post('/api/v1/auth/refresh').send({ refresh_token: r1.body.refresh_token }).expect(401);
    } finally {
      await short.close();
    }
  });

  it('keeps the grace copy of the successor encrypted, never in clear', async () => {
    const { tokens } = await registerAndLogin(t);
    const r1 = await refresh(tokens.refresh_token).expect(200);
    const rows = await t.sql<{ successor_sealed: string | null }>(
      `SELECT successor_sealed FROM refresh_tokens WHERE session_id = $1 AND successor_sealed IS NOT NULL`,
      [tokens.session_id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].successor_sealed).not.toContain(r1.body.refresh_token);
  });
});

describe('Accounts: instant revocation and sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('logout kills the access token at once and the refresh token with it', async () => {
    const { tokens } = await registerAndLogin(t);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(tokens.access_token))
      .expect(200);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(tokens.access_token))
      .expect(204);
    const res = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(tokens.access_token))
      .expect(401);
    expect(res.body.code).toBe('token_revoked');
    const r = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(401);
    expect(r.body.code).toBe('invalid_refresh_token');
  });

  it('an unused refresh token of an ended session stays invalid_refresh_token on every try, never reuse, and writes nothing', async () => {
    const { tokens } = await registerAndLogin(t);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(tokens.access_token))
      .expect(204);
    for (let i = 0; i < 2; i++) {
      const r = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(401);
      expect(r.body.code).toBe('invalid_refresh_token');
    }
    const [state] = await t.sql<{ revoked_reason: string; tokens: number }>(
      `SELECT s.revoked_reason, (SELECT count(*)::int FROM refresh_tokens WHERE session_id = s.id) AS tokens FROM sessions s WHERE s.id = $1`,
      [tokens.session_id],
    );
    expect(state).toEqual({ revoked_reason: 'logout', tokens: 1 });

    // an expired (not revoked) session: same answer, no successor, expiry not slid
    const other = await registerAndLogin(t);
    await t.sql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [other.tokens.session_id]);
    const expired = await t.http().post('/api/v1/auth/refresh').send({ refresh_token: other.tokens.refresh_token }).expect(401);
    expect(expired.body.code).toBe('invalid_refresh_token');
    const [after] = await t.sql<{ live: boolean; tokens: number }>(
      `SELECT s.expires_at > now() AS live, (SELECT count(*)::int FROM refresh_tokens WHERE session_id = s.id) AS tokens FROM sessions s WHERE s.id = $1`,
      [other.tokens.session_id],
    );
    expect(after).toEqual({ live: false, tokens: 1 });
  });

  it('logout-all revokes every session of the caller', async () => {
    const user = await register(t);
    const a = await login(t, user.email);
    const b = await login(t, user.email);
    await t
      .http()
      .post('/api/v1/auth/logout-all')
      .set(...bearer(a.access_token))
      .expect(204);
    for (const tok of [a, b])
      expect(
        (
          await t
            .http()
            .get('/api/v1/auth/me')
            .set(...bearer(tok.access_token))
        ).body.code,
      ).toBe('token_revoked');
  });

  it("lists the caller's live sessions newest first with the current flag, paginated", async () => {
    const user = await register(t);
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push(await login(t, user.email, PASSWORD, `agent-${i}`));
    const current = sessions[1];
    const page1 = await t
      .http()
      .get('/api/v1/users/sessions?limit=2')
      .set(...bearer(current.access_token))
      .expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await t
      .http()
      .get(`/api/v1/users/sessions?limit=2&cursor=${page1.body.next_cursor}`)
      .set(...bearer(current.access_token))
      .expect(200);
    expect(page2.body).toMatchObject({ next_cursor: null });
    const all = [...page1.body.items, ...page2.body.items];
    expect(all.map((s: { id: string }) => s.id)).toEqual(sessions.map((s) => s.session_id).reverse());
    expect(all.filter((s: { current: boolean }) => s.current).map((s: { id: string }) => s.id)).toEqual([current.session_id]);
    expect(all[0]).toEqual({
      id: sessions[2].session_id,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      expires_at: expect.any(String),
      revoked_at: null,
      ip: expect.any(String),
      user_agent: 'agent-2',
      auth_method: 'password',
      current: false,
    });
    const bad = await t
      .http()
      .get('/api/v1/users/sessions?limit=0')
      .set(...bearer(current.access_token))
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    const badCursor = await t
      .http()
      .get('/api/v1/users/sessions?cursor=abc')
      .set(...bearer(current.access_token))
      .expect(400);
    expect(badCursor.body.code).toBe('validation_failed');
  });

  it("deletes one own session (its token dies) and answers 404 for another user's session", async () => {
    const user = await register(t);
    const a = await login(t, user.email);
    const b = await login(t, user.email);
    const other = await registerAndLogin(t);
    const foreign = await t
      .http()
      .delete(`/api/v1/users/sessions/${other.tokens.session_id}`)
      .set(...bearer(a.access_token))
      .expect(404);
    expect(foreign.body.code).toBe('not_found');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(other.tokens.access_token))
      .expect(200);
    await t
      .http()
      .delete(`/api/v1/users/sessions/${b.session_id}`)
      .set(...bearer(a.access_token))
      .expect(204);
    expect(
      (
        await t
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(b.access_token))
      ).body.code,
    ).toBe('token_revoked');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(a.access_token))
      .expect(200);
    await t
      .http()
      .delete('/api/v1/users/sessions/not-a-uuid')
      .set(...bearer(a.access_token))
      .expect(400);
  });

  it('DELETE /users/sessions revokes all but the current session', async () => {
    const user = await register(t);
    const a = await login(t, user.email);
    const b = await login(t, user.email);
    const c = await login(t, user.email);
    await t
      .http()
      .delete('/api/v1/users/sessions')
      .set(...bearer(a.access_token))
      .expect(204);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(a.access_token))
      .expect(200);
    for (const tok of [b, c])
      expect(
        (
          await t
            .http()
            .get('/api/v1/auth/me')
            .set(...bearer(tok.access_token))
        ).status,
      ).toBe(401);
    const list = await t
      .http()
      .get('/api/v1/users/sessions')
      .set(...bearer(a.access_token))
      .expect(200);
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([a.session_id]);
  });

  it('password change: wrong current → 400 and nothing changes; success revokes the others only', async () => {
    const user = await register(t);
    const a = await login(t, user.email);
    const b = await login(t, user.email);
    const wrong = await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(a.access_token))
      .send({ current_password: 'Not-The-Password-1', new_password: 'Brand-New-Pass-9' })
      .expect(400);
    expect(wrong.body.code).toBe('invalid_current_password');
    await login(t, user.email, PASSWORD);
    const weak = await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(a.access_token))
      .send({ current_password: PASSWORD, new_password: 'weak' })
      .expect(400);
    expect(weak.body.errors[0].field).toBe('new_password');

    await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(a.access_token))
      .send({ current_password: PASSWORD, new_password: 'Brand-New-Pass-9' })
      .expect(204);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(a.access_token))
      .expect(200);
    expect(
      (
        await t
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(b.access_token))
      ).body.code,
    ).toBe('token_revoked');
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await login(t, user.email, 'Brand-New-Pass-9');
  });
});
