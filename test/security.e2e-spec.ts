import { PASSWORD, bearer, login, makeAdmin, register, registerAndLogin, uniqueEmail } from './support/auth';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';

describe('Lockout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOCKOUT_THRESHOLD: '3', LOCKOUT_DURATION: '120' });
  });
  afterAll(() => t.close());

  const attempt = (email: string, password: string) => t.http().post('/api/v1/auth/login').send({ email, password });

  it('locks an email after THRESHOLD failures: 423 with Retry-After, even for the right password', async () => {
    const user = await register(t);
    for (let i = 0; i < 3; i++) expect((await attempt(user.email, 'Wrong-Password-1')).status).toBe(401);
    const locked = await attempt(user.email, PASSWORD).expect(423);
    expect(locked.body.code).toBe('account_locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(100);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(120);
    const events = await t.sql(`SELECT 1 FROM audit_events WHERE event = 'auth.account_locked'`);
    expect(events.length).toBeGreaterThan(0);
  });

  it('locks unknown emails the same way', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) expect((await attempt(email, 'Wrong-Password-1')).status).toBe(401);
    const locked = await attempt(email, 'Wrong-Password-1').expect(423);
    expect(locked.headers['retry-after']).toBeDefined();
  });

  it('lets no parallel wrong password past the threshold', async () => {
    const user = await register(t);
    const results = await Promise.all(Array.from({ length: 15 }, () => attempt(user.email, 'Wrong-Password-1')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 423)).toHaveLength(12);
  });

  it('resets the count after a successful login', async () => {
    const user = await register(t);
    for (let i = 0; i < 2; i++) await attempt(user.email, 'Wrong-Password-1').expect(401);
    await attempt(user.email, PASSWORD).expect(200);
    for (let i = 0; i < 2; i++) await attempt(user.email, 'Wrong-Password-1').expect(401);
    await attempt(user.email, PASSWORD).expect(200);
  });

  it('an admin can unlock a locked account', async () => {
    const admin = await makeAdmin(t);
    const user = await register(t);
    for (let i = 0; i < 3; i++) await attempt(user.email, 'Wrong-Password-1');
    await attempt(user.email, PASSWORD).expect(423);
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(...bearer(admin.tokens.access_token))
      .send({ unlock: true })
      .expect(200);
    await attempt(user.email, PASSWORD).expect(200);
  });
});

describe('Throttling', () => {
  it('answers 429 rate_limited with Retry-After past the login limit, keyed by client IP', async () => {
    const t = await startTestApp({ THROTTLE_LOGIN_LIMIT: '3', THROTTLE_TTL: '60' });
    try {
      const send = (xff?: string) => {
        const req = t.http().post('/api/v1/auth/login');
        if (xff) req.set('X-Forwarded-For', xff);
        return req.send({ email: uniqueEmail(), password: 'Wrong-Password-1' });
      };
      for (let i = 0; i < 3; i++) expect((await send(`10.0.0.${i}`)).status).toBe(401);
      const limited = await send('10.9.9.9').expect(429);
      expect(limited.headers['content-type']).toMatch(/problem\+json/);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // other routes keep their own (default) bucket
      await t.http().get('/health').expect(200);
    } finally {
      await t.close();
    }
  });

  it('honours X-Forwarded-For only through TRUST_PROXY hops', async () => {
    const t = await startTestApp({ THROTTLE_LOGIN_LIMIT: '2', THROTTLE_TTL: '60', TRUST_PROXY: '1' });
    try {
      const send = (xff: string) =>
        t.http().post('/api/v1/auth/login').set('X-Forwarded-For', xff).send({ email: uniqueEmail(), password: 'Wrong-Password-1' });
      for (let i = 0; i < 2; i++) expect((await send('203.0.113.1')).status).toBe(401);
      expect((await send('203.0.113.1')).status).toBe(429);
      expect((await send('203.0.113.2')).status).toBe(401);
      const user = await register(t);
      const res = await t.http().post('/api/v1/auth/login').set('X-Forwarded-For', '198.51.100.7').send({ email: user.email, password: PASSWORD }).expect(200);
      const [session] = await t.sql<{ ip: string }>(`SELECT ip FROM sessions WHERE id = $1`, [res.body.session_id]);
      expect(session.ip).toBe('198.51.100.7');
    } finally {
      await t.close();
    }
  });

  it('shares the counters between two nodes through Redis', async () => {
    const a = await startTestApp({ THROTTLE_LOGIN_LIMIT: '4', THROTTLE_TTL: '60' });
    const b = await startTestApp({ THROTTLE_LOGIN_LIMIT: '4', THROTTLE_TTL: '60' }, { db: a.db, keyPrefix: a.keyPrefix });
    try {
      const send = (t: TestApp) => t.http().post('/api/v1/auth/login').send({ email: uniqueEmail(), password: 'Wrong-Password-1' });
      expect((await send(a)).status).toBe(401);
      expect((await send(b)).status).toBe(401);
      expect((await send(a)).status).toBe(401);
      expect((await send(b)).status).toBe(401);
      expect((await send(a)).status).toBe(429);
      expect((await send(b)).status).toBe(429);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('Roles and live user state', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses admin routes to non-admins with 403 forbidden', async () => {
    const { tokens } = await registerAndLogin(t);
    const res = await t
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(tokens.access_token))
      .expect(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('an admin demoted to user loses admin routes on the next request (same token)', async () => {
    const boss = await makeAdmin(t);
    const other = await makeAdmin(t);
    await t
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(other.tokens.access_token))
      .expect(200);
    await t
      .http()
      .patch(`/api/v1/admin/users/${other.id}`)
      .set(...bearer(boss.tokens.access_token))
      .send({ role: 'user' })
      .expect(200);
    const res = await t
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(other.tokens.access_token))
      .expect(403);
    expect(res.body.code).toBe('forbidden');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(other.tokens.access_token))
      .expect(200);
  });

  it('a promotion takes effect on the next request too', async () => {
    const boss = await makeAdmin(t);
    const user = await registerAndLogin(t);
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(...bearer(boss.tokens.access_token))
      .send({ role: 'admin' })
      .expect(200);
    await t
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(user.tokens.access_token))
      .expect(200);
  });

  it('disabling a user kills their tokens at once; login then says account_disabled after a correct password only', async () => {
    const boss = await makeAdmin(t);
    const user = await registerAndLogin(t);
    const disabled = await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(...bearer(boss.tokens.access_token))
      .send({ is_active: false })
      .expect(200);
    expect(disabled.body.is_active).toBe(false);
    const res = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token))
      .expect(401);
    expect(res.body.code).toBe('token_revoked');
    await t.http().post('/api/v1/auth/refresh').send({ refresh_token: user.tokens.refresh_token }).expect(401);
    const wrong = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).expect(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const right = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);
    expect(right.body.code).toBe('account_disabled');
  });

  it('an admin cannot demote or disable itself', async () => {
    const boss = await makeAdmin(t);
    for (const body of [{ role: 'user' }, { is_active: false }]) {
      const res = await t
        .http()
        .patch(`/api/v1/admin/users/${boss.id}`)
        .set(...bearer(boss.tokens.access_token))
        .send(body)
        .expect(409);
      expect(res.body.code).toBe('self_modification');
    }
    await t
      .http()
      .get('/api/v1/admin/users')
      .set(...bearer(boss.tokens.access_token))
      .expect(200);
  });
});

describe('Revocation with Redis unreachable', () => {
  it('keeps logins working and revoked tokens refused while Redis is down, and recovers after', async () => {
    const proxy = new TcpProxy('127.0.0.1', 6379);
    await proxy.start();
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}/0` });
    try {
      const user = await register(t);
      const before = await login(t, user.email);
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(before.access_token))
        .expect(200);

      await proxy.stop();
      const during = await login(t, user.email);
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(during.access_token))
        .expect(200);
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(...bearer(before.access_token))
        .expect(204);
      const refused = await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(before.access_token))
        .expect(401);
      expect(refused.body.code).toBe('token_revoked');
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(during.access_token))
        .expect(200);

      await proxy.start();
      await new Promise((r) => setTimeout(r, 2500));
      expect(
        (
          await t
            .http()
            .get('/api/v1/auth/me')
            .set(...bearer(before.access_token))
        ).status,
      ).toBe(401);
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(during.access_token))
        .expect(200);
    } finally {
      await proxy.stop();
      await t.close();
    }
  });

  it('refuses a revocation that happened on another node while this node cached the session as live', async () => {
    const a = await startTestApp();
    const b = await startTestApp({}, { db: a.db, keyPrefix: a.keyPrefix });
    try {
      const user = await register(a);
      const tokens = await login(a, user.email);
      await b
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(tokens.access_token))
        .expect(200);
      await a
        .http()
        .post('/api/v1/auth/logout')
        .set(...bearer(tokens.access_token))
        .expect(204);
      const res = await b
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(tokens.access_token))
        .expect(401);
      expect(res.body.code).toBe('token_revoked');
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('Audit trail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("lists the caller's own security events, newest first, with no secrets", async () => {
    const user = await register(t);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).expect(401);
    const tokens = await login(t, user.email);
    await t.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(200);
    const res = await t
      .http()
      .get('/api/v1/users/audit')
      .set(...bearer(tokens.access_token))
      .expect(200);
    const events = res.body.items.map((e: { event: string; outcome: string }) => `${e.event}:${e.outcome}`);
    // registration and its verification mail commit in one transaction: same created_at, order by id
    expect(events.slice(0, 2)).toEqual(['auth.login:success', 'auth.login:failure']);
    expect(events.slice(2).sort()).toEqual(['email.verification_sent:success', 'user.registered:success']);
    expect(events).toHaveLength(4);
    expect(res.body.items[0]).toEqual({
      id: expect.any(String),
      event: 'auth.login',
      outcome: 'success',
      actor_id: user.id,
      target_user_id: user.id,
      session_id: tokens.session_id,
      ip: expect.any(String),
      user_agent: expect.any(String),
      metadata: { method: 'password' },
      created_at: expect.any(String),
    });
    const raw = JSON.stringify(await t.sql(`SELECT * FROM audit_events`));
    expect(raw).not.toContain(PASSWORD);
    expect(raw).not.toContain('Wrong-Password-1');
    expect(raw).not.toContain(tokens.refresh_token);
    expect(raw).not.toContain(tokens.access_token);
  });

  it("does not show other users' events", async () => {
    const a = await registerAndLogin(t);
    const b = await registerAndLogin(t);
    const res = await t
      .http()
      .get('/api/v1/users/audit')
      .set(...bearer(a.tokens.access_token))
      .expect(200);
    expect(res.body.items.every((e: { target_user_id: string }) => e.target_user_id === a.id)).toBe(true);
    expect(res.body.items.some((e: { target_user_id: string }) => e.target_user_id === b.id)).toBe(false);
  });
});

describe('Boot-time admin, verification gate and rehash', () => {
  it('creates the bootstrap admin once from BOOTSTRAP_ADMIN_*', async () => {
    const email = uniqueEmail('root');
    const t = await startTestApp({ BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: 'Bootstrap-Admin-1' });
    try {
      const tokens = await login(t, email, 'Bootstrap-Admin-1');
      expect(tokens.user).toMatchObject({ role: 'admin', email_verified: true });
      await t
        .http()
        .get('/api/v1/admin/users')
        .set(...bearer(tokens.access_token))
        .expect(200);
    } finally {
      await t.close();
    }
  });

  it('REQUIRE_EMAIL_VERIFICATION: an unverified user gets 403 email_not_verified only after a correct password', async () => {
    const t = await startTestApp({ REQUIRE_EMAIL_VERIFICATION: 'true' });
    try {
      const user = await register(t);
      const wrong = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).expect(401);
      expect(wrong.body.code).toBe('invalid_credentials');
      const right = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);
      expect(right.body.code).toBe('email_not_verified');
      await t.sql(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
      await login(t, user.email);
    } finally {
      await t.close();
    }
  });

  it('rehashes a password on login when the argon2 parameters changed', async () => {
    const a = await startTestApp({ ARGON2_TIME_COST: '1' });
    try {
      const user = await register(a);
      const [before] = await a.sql<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
      expect(before.password_hash).toContain('t=1');
      const b = await startTestApp({ ARGON2_TIME_COST: '2' }, { db: a.db, keyPrefix: a.keyPrefix });
      try {
        await login(b, user.email);
        const [after] = await b.sql<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
        expect(after.password_hash).toContain('t=2');
        await login(b, user.email);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});
