import { randomBytes, randomUUID } from 'node:crypto';
import { bearer, login, makeAdmin, PASSWORD, register, registerAndLogin, type Registered, type Tokens, uniqueEmail } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

type Admin = Registered & { tokens: Tokens };
type Item = { id: string; created_at: string } & Record<string, unknown>;

const tag = () => randomBytes(4).toString('hex');

/** Walks every page of a listing; `between` runs after each page (to insert rows meanwhile). */
async function allPages(t: TestApp, token: string, path: string, limit: number, between?: (page: number) => Promise<void>): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res: { body: { items: Item[]; next_cursor: string | null } } = await t
      .http()
      .get(`/api/v1${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
      .set(...bearer(token))
      .expect(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (cursor === null) return items;
    expect(res.body.items).toHaveLength(limit);
    await between?.(page);
  }
  throw new Error('too many pages');
}

const ids = (items: { id: string }[]) => items.map((i) => i.id);

describe('Admin API: access', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 403 forbidden to non-admins and 401 without a token, on every admin route', async () => {
    const user = await registerAndLogin(t);
    const guest = await registerAndLogin(t);
    await t.sql(`UPDATE users SET role = 'guest' WHERE id = $1`, [guest.id]);
    const other = randomUUID();
    const routes: ['get' | 'patch' | 'delete', string][] = [
      ['get', '/admin/users'],
      ['get', `/admin/users/${user.id}`],
      ['patch', `/admin/users/${user.id}`],
      ['delete', `/admin/users/${user.id}/sessions`],
      ['get', `/admin/users/${user.id}/identities`],
      ['get', `/admin/users/${user.id}/factors`],
      ['get', '/admin/sessions'],
      ['delete', `/admin/sessions/${other}`],
      ['get', '/admin/audit-logs'],
    ];
    for (const [method, path] of routes) {
      const call = () => {
        const http = t.http();
        const url = `/api/v1${path}`;
        return method === 'patch' ? http.patch(url) : method === 'delete' ? http.delete(url) : http.get(url);
      };
      for (const who of [user, guest]) {
        const res = await call()
          .set(...bearer(who.tokens.access_token))
          .send(method === 'patch' ? { role: 'admin' } : undefined);
        expect([method, path, res.status]).toEqual([method, path, 403]);
        expect(res.body.code).toBe('forbidden');
      }
      expect((await call()).status).toBe(401);
    }
    // nothing happened: the user is still a user with a live session
    const [row] = await t.sql<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [user.id]);
    expect(row.role).toBe('user');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token))
      .expect(200);
  });
});

describe('Admin API: users', () => {
  let t: TestApp;
  let admin: Admin;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await makeAdmin(t);
  });
  afterAll(() => t.close());

  const get = (path: string) =>
    t
      .http()
      .get(`/api/v1${path}`)
      .set(...bearer(admin.tokens.access_token));
  const patch = (id: string, body: object, token = admin.tokens.access_token) =>
    t
      .http()
      .patch(`/api/v1/admin/users/${id}`)
      .set(...bearer(token))
      .send(body);

  it('filters by q on email or name, case-insensitively, taking % and _ literally', async () => {
    const k = tag();
    const byEmail = await register(t, `Mixed.Case.${k}@Example.com`);
    const byName = await register(t, uniqueEmail('plain'), PASSWORD, `Zebulon Quartz ${k}`);
    const other = await register(t, uniqueEmail('other'), PASSWORD, `Someone Else`);

    const email = await get(`/admin/users?q=${encodeURIComponent(`mixed.case.${k.toUpperCase()}`)}`).expect(200);
    expect(ids(email.body.items)).toEqual([byEmail.id]);
    expect(email.body.items[0]).toMatchObject({ email: `Mixed.Case.${k}@Example.com`, role: 'user', is_active: true });
    expect(email.body.items[0]).not.toHaveProperty('password_hash');
    expect(email.body.next_cursor).toBeNull();

    const name = await get(`/admin/users?q=${encodeURIComponent(`zEBULON quartz ${k}`)}`).expect(200);
    expect(ids(name.body.items)).toEqual([byName.id]);

    // the tag is in both: newest first
    const both = await get(`/admin/users?q=${k}`).expect(200);
    expect(ids(both.body.items)).toEqual([byName.id, byEmail.id]);

    for (const wildcard of ['%', '_', '%_%']) {
      const res = await get(`/admin/users?q=${encodeURIComponent(wildcard)}`).expect(200);
      expect(res.body.items).toEqual([]);
    }
    const all = await get('/admin/users?limit=100').expect(200);
    expect(ids(all.body.items)).toEqual(expect.arrayContaining([byEmail.id, byName.id, other.id, admin.id]));
  });

  it('filters by role and is_active, alone and combined with q', async () => {
    const k = tag();
    const plain = await register(t, `plain.${k}@example.com`);
    const guest = await register(t, `guest.${k}@example.com`);
    const boss = await register(t, `boss.${k}@example.com`);
    const off = await register(t, `off.${k}@example.com`);
    await t.sql(`UPDATE users SET role = 'guest' WHERE id = $1`, [guest.id]);
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [boss.id]);
    await t.sql(`UPDATE users SET is_active = false WHERE id = $1`, [off.id]);

    const q = (query: string) => get(`/admin/users?q=${k}&${query}`).expect(200);
    expect(ids((await q('role=guest')).body.items)).toEqual([guest.id]);
    expect(ids((await q('role=admin')).body.items)).toEqual([boss.id]);
    expect(ids((await q('role=user')).body.items)).toEqual([off.id, plain.id]);
    expect(ids((await q('is_active=false')).body.items)).toEqual([off.id]);
    expect(ids((await q('is_active=true')).body.items)).toEqual([boss.id, guest.id, plain.id]);
    expect(ids((await q('role=user&is_active=true')).body.items)).toEqual([plain.id]);
    expect((await q('is_active=false')).body.items[0].is_active).toBe(false);

    // without q, across the whole table
    const inactive = await get('/admin/users?is_active=false&limit=100').expect(200);
    expect(inactive.body.items.every((u: { is_active: boolean }) => u.is_active === false)).toBe(true);
    expect(ids(inactive.body.items)).toContain(off.id);
    const guests = await get('/admin/users?role=guest&limit=100').expect(200);
    expect(guests.body.items.every((u: { role: string }) => u.role === 'guest')).toBe(true);
  });

  it('GET /admin/users/{id}: 200 User, 404 for an unknown id, 400 for a malformed one', async () => {
    const user = await register(t, uniqueEmail(), PASSWORD, 'Ada');
    const res = await get(`/admin/users/${user.id}`).expect(200);
    expect(res.body).toEqual({
      id: user.id,
      email: user.email,
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
    expect((await get(`/admin/users/${randomUUID()}`).expect(404)).body.code).toBe('not_found');
    expect((await get('/admin/users/not-a-uuid').expect(400)).body.code).toBe('validation_failed');
    expect((await patch(randomUUID(), { role: 'guest' }).expect(404)).body.code).toBe('not_found');
    await patch('12345', { role: 'guest' }).expect(400);
    await t
      .http()
      .delete(`/api/v1/admin/users/${randomUUID()}/sessions`)
      .set(...bearer(admin.tokens.access_token))
      .expect(404);
    await t
      .http()
      .delete('/api/v1/admin/users/nope/sessions')
      .set(...bearer(admin.tokens.access_token))
      .expect(400);
  });

  it('refuses malformed filters, limits and cursors with 400 validation_failed', async () => {
    const bad = [
      'limit=0',
      'limit=101',
      'limit=ten',
      'role=owner',
      'is_active=maybe',
      `q=${'x'.repeat(101)}`,
      'cursor=not*a*cursor',
      `cursor=${Buffer.from('hello').toString('base64url')}`,
      `cursor=${Buffer.from(`2024-01-01T00:00:00.000Z|not-a-uuid`).toString('base64url')}`,
      `cursor=${Buffer.from(`yesterday|${randomUUID()}`).toString('base64url')}`,
      'unknown=1',
    ];
    for (const query of bad) {
      const res = await get(`/admin/users?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.code).toBe('validation_failed');
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('paginates newest first with no duplicate and no gap while users are inserted between pages', async () => {
    const k = tag();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await register(t, `page${i}.${k}@example.com`)).id);
    // ties on created_at are broken by id
    await t.sql(`UPDATE users SET created_at = (SELECT created_at FROM users WHERE id = $1) WHERE id = ANY($2::uuid[])`, [created[2], created.slice(2, 6)]);
    const expected = ids(await t.sql<{ id: string }>(`SELECT id FROM users WHERE email LIKE $1 ORDER BY created_at DESC, id DESC`, [`%.${k}@%`]));
    expect(expected).toHaveLength(7);

    const added: string[] = [];
    const seen = await allPages(t, admin.tokens.access_token, `/admin/users?q=${k}`, 2, async () => {
      added.push((await register(t, `late${added.length}.${k}@example.com`)).id);
    });
    expect(ids(seen)).toEqual(expected);
    expect(added.length).toBeGreaterThanOrEqual(3);
    // the rows inserted meanwhile are on a fresh first page
    const fresh = await get(`/admin/users?q=${k}&limit=100`).expect(200);
    expect(ids(fresh.body.items)).toEqual([...added].reverse().concat(expected));
  });

  it('PATCH changes role and status, audited as admin.user_updated; refuses empty and unknown fields', async () => {
    const user = await registerAndLogin(t);
    const res = await patch(user.id, { role: 'guest' }).expect(200);
    expect(res.body).toMatchObject({ id: user.id, role: 'guest', is_active: true });
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token))
      .expect(200);

    expect((await patch(user.id, {}).expect(400)).body.code).toBe('validation_failed');
    expect((await patch(user.id, { role: 'root' }).expect(400)).body.code).toBe('validation_failed');
    expect((await patch(user.id, { email: 'x@example.com' }).expect(400)).body.code).toBe('validation_failed');
    expect((await patch(user.id, { is_active: 'no' }).expect(400)).body.code).toBe('validation_failed');

    const audit = await get(`/admin/audit-logs?event=admin.user_updated&target_user_id=${user.id}`).expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      event: 'admin.user_updated',
      outcome: 'success',
      actor_id: admin.id,
      target_user_id: user.id,
      session_id: admin.tokens.session_id,
      metadata: { changes: { role: { from: 'user', to: 'guest' } } },
    });
  });

  it('refuses self-demotion and self-disable with 409 self_modification, and changes nothing', async () => {
    for (const body of [{ role: 'user' }, { role: 'guest' }, { is_active: false }, { role: 'admin', is_active: false }]) {
      const res = await patch(admin.id, body).expect(409);
      expect(res.body.code).toBe('self_modification');
    }
    const [row] = await t.sql<{ role: string; is_active: boolean }>(`SELECT role, is_active FROM users WHERE id = $1`, [admin.id]);
    expect(row).toEqual({ role: 'admin', is_active: true });
    // a no-op on itself is fine
    await patch(admin.id, { role: 'admin' }).expect(200);
    await get('/admin/users?limit=1').expect(200);
  });

  it('disabling a user kills every session at once: old tokens 401, refresh refused, audited', async () => {
    const user = await register(t);
    const first = await login(t, user.email);
    const second = await login(t, user.email);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(first.access_token))
      .expect(200);

    const res = await patch(user.id, { is_active: false }).expect(200);
    expect(res.body.is_active).toBe(false);
    for (const tokens of [first, second]) {
      const me = await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(tokens.access_token))
        .expect(401);
      expect(me.body.code).toBe('token_revoked');
      await t.http().post('/api/v1/auth/refresh').send({ refresh_token: tokens.refresh_token }).expect(401);
    }
    const sessions = await t.sql<{ revoked_reason: string }>(`SELECT revoked_reason FROM sessions WHERE user_id = $1`, [user.id]);
    expect(sessions.map((s) => s.revoked_reason)).toEqual(['user_disabled', 'user_disabled']);

    const updated = await get(`/admin/audit-logs?event=admin.user_updated&target_user_id=${user.id}`).expect(200);
    expect(updated.body.items[0].metadata).toMatchObject({ changes: { is_active: { from: true, to: false } }, revoked_sessions: 2 });
    const revoked = await get(`/admin/audit-logs?event=admin.session_revoked&target_user_id=${user.id}`).expect(200);
    expect(revoked.body.items).toHaveLength(1);
    expect(revoked.body.items[0]).toMatchObject({ actor_id: admin.id, metadata: { reason: 'user_disabled', count: 2 } });
    expect(revoked.body.items[0].metadata.revoked_session_ids.sort()).toEqual([first.session_id, second.session_id].sort());

    // enabled again: can sign in, the old sessions stay dead
    await patch(user.id, { is_active: true }).expect(200);
    await login(t, user.email);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(first.access_token))
      .expect(401);
  });
});

describe('Admin API: the last active admin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const activeAdmins = async () => (await t.sql(`SELECT id FROM users WHERE role = 'admin' AND is_active`)).length;

  it('refuses to remove the last active admin (409 last_admin), as when another node just demoted the caller', async () => {
    const a = await makeAdmin(t);
    const b = await makeAdmin(t);
    // b's demotion has committed, but b's request already passed the role check (the race window)
    await t.sql(`UPDATE users SET role = 'user' WHERE id = $1`, [b.id]);
    for (const body of [{ role: 'user' }, { is_active: false }]) {
      const res = await t
        .http()
        .patch(`/api/v1/admin/users/${a.id}`)
        .set(...bearer(b.tokens.access_token))
        .send(body)
        .expect(409);
      expect(res.body.code).toBe('last_admin');
    }
    expect(await activeAdmins()).toBe(1);
    await t.sql(`UPDATE users SET role = 'user' WHERE id = $1`, [a.id]);
  });

  it('two admins demoting each other at once: one wins, one admin always remains', async () => {
    const a = await makeAdmin(t);
    const b = await makeAdmin(t);
    expect(await activeAdmins()).toBe(2);
    const [ab, ba] = await Promise.all([
      t
        .http()
        .patch(`/api/v1/admin/users/${b.id}`)
        .set(...bearer(a.tokens.access_token))
        .send({ role: 'user' }),
      t
        .http()
        .patch(`/api/v1/admin/users/${a.id}`)
        .set(...bearer(b.tokens.access_token))
        .send({ role: 'user' }),
    ]);
    const statuses = [ab.status, ba.status].sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const loser = ab.status === 200 ? ba : ab;
    expect(loser.body.code).toBe(loser.status === 409 ? 'last_admin' : 'forbidden');
    expect(await activeAdmins()).toBe(1);
  });
});

describe('Admin API: sessions', () => {
  let t: TestApp;
  let admin: Admin;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await makeAdmin(t);
  });
  afterAll(() => t.close());

  const get = (path: string) =>
    t
      .http()
      .get(`/api/v1${path}`)
      .set(...bearer(admin.tokens.access_token));
  const del = (path: string) =>
    t
      .http()
      .delete(`/api/v1${path}`)
      .set(...bearer(admin.tokens.access_token));

  it('lists sessions with user_id and user_email, filtered by user_id and by active', async () => {
    const user = await register(t);
    const live = await login(t, user.email, PASSWORD, 'browser-a');
    const loggedOut = await login(t, user.email, PASSWORD, 'browser-b');
    const expired = await login(t, user.email, PASSWORD, 'browser-c');
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(loggedOut.access_token))
      .expect(204);
    await t.sql(`UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.session_id]);

    const all = await get(`/admin/sessions?user_id=${user.id}`).expect(200);
    expect(ids(all.body.items)).toEqual([expired.session_id, loggedOut.session_id, live.session_id]);
    expect(all.body.items[2]).toEqual({
      id: live.session_id,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      expires_at: expect.any(String),
      revoked_at: null,
      ip: expect.any(String),
      user_agent: 'browser-a',
      auth_method: 'password',
      current: false,
      user_id: user.id,
      user_email: user.email,
    });
    expect(all.body.items[1].revoked_at).toEqual(expect.any(String));

    expect(ids((await get(`/admin/sessions?user_id=${user.id}&active=true`).expect(200)).body.items)).toEqual([live.session_id]);
    expect(ids((await get(`/admin/sessions?user_id=${user.id}&active=false`).expect(200)).body.items)).toEqual([expired.session_id, loggedOut.session_id]);

    // across all users; the admin's own session is flagged current
    const active = await get('/admin/sessions?active=true&limit=100').expect(200);
    expect(ids(active.body.items)).toEqual(expect.arrayContaining([live.session_id, admin.tokens.session_id]));
    expect(ids(active.body.items)).not.toContain(loggedOut.session_id);
    expect(active.body.items.find((s: Item) => s.id === admin.tokens.session_id)).toMatchObject({ current: true, user_email: admin.email });
    const inactive = await get('/admin/sessions?active=false&limit=100').expect(200);
    expect(ids(inactive.body.items)).toEqual(expect.arrayContaining([loggedOut.session_id, expired.session_id]));
    expect(ids(inactive.body.items)).not.toContain(live.session_id);
  });

  it('refuses malformed filters and cursors with 400', async () => {
    for (const query of ['user_id=42', 'active=yes', 'limit=0', 'cursor=%24%24', 'cursor=aGVsbG8', 'extra=1']) {
      const res = await get(`/admin/sessions?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('paginates without duplicate or gap while sessions are created between pages', async () => {
    const user = await register(t);
    for (let i = 0; i < 6; i++) await login(t, user.email);
    const before = await t.sql<{ id: string }>(`SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, [user.id]);
    // ties on created_at
    await t.sql(`UPDATE sessions SET created_at = (SELECT created_at FROM sessions WHERE id = $1) WHERE id = ANY($2::uuid[])`, [
      before[1].id,
      ids(before.slice(1, 5)),
    ]);
    const expected = ids(await t.sql<{ id: string }>(`SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, [user.id]));
    const seen = await allPages(t, admin.tokens.access_token, `/admin/sessions?user_id=${user.id}`, 2, async () => {
      await login(t, user.email);
    });
    expect(ids(seen)).toEqual(expected);
  });

  it('DELETE /admin/sessions/{id}: the token dies at once, audited as admin.session_revoked; 404 unknown, 400 malformed', async () => {
    const user = await registerAndLogin(t);
    const other = await login(t, user.email);
    await del(`/admin/sessions/${user.tokens.session_id}`).expect(204);
    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token))
      .expect(401);
    expect(me.body.code).toBe('token_revoked');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(other.access_token))
      .expect(200);

    const audit = await get(`/admin/audit-logs?event=admin.session_revoked&target_user_id=${user.id}`).expect(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ actor_id: admin.id, metadata: { reason: 'admin_revoked', revoked_session_ids: [user.tokens.session_id] } });

    expect((await del(`/admin/sessions/${randomUUID()}`).expect(404)).body.code).toBe('not_found');
    expect((await del('/admin/sessions/xyz').expect(400)).body.code).toBe('validation_failed');
  });

  it('DELETE /admin/users/{id}/sessions revokes every session of that user only', async () => {
    const user = await registerAndLogin(t);
    const second = await login(t, user.email);
    const bystander = await registerAndLogin(t);
    await del(`/admin/users/${user.id}/sessions`).expect(204);
    for (const token of [user.tokens.access_token, second.access_token]) {
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(token))
        .expect(401);
    }
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(bystander.tokens.access_token))
      .expect(200);
    const live = await get(`/admin/sessions?user_id=${user.id}&active=true`).expect(200);
    expect(live.body.items).toEqual([]);
    const audit = await get(`/admin/audit-logs?event=admin.session_revoked&target_user_id=${user.id}&actor_id=${admin.id}`).expect(200);
    expect(audit.body.items[0].metadata).toMatchObject({ reason: 'admin_revoked', count: 2 });
  });
});

describe('Admin API: audit logs', () => {
  let t: TestApp;
  let admin: Admin;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await makeAdmin(t);
  });
  afterAll(() => t.close());

  const get = (path: string) =>
    t
      .http()
      .get(`/api/v1${path}`)
      .set(...bearer(admin.tokens.access_token));
  const events = async (query: string) => (await get(`/admin/audit-logs?${query}`).expect(200)).body.items as Item[];

  it('filters by event, actor_id, target_user_id and outcome, from real flows', async () => {
    const user = await register(t);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).expect(401);
    await login(t, user.email);
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(...bearer(admin.tokens.access_token))
      .send({ role: 'guest' })
      .expect(200);

    const mine = await events(`target_user_id=${user.id}&limit=100`);
    // newest first; registration and its verification mail commit together (same instant, any order)
    expect(mine.map((e) => e.event).slice(0, 3)).toEqual(['admin.user_updated', 'auth.login', 'auth.login']);
    expect(
      mine
        .map((e) => e.event)
        .slice(3)
        .sort(),
    ).toEqual(['email.verification_sent', 'user.registered']);
    expect(mine.every((e) => e.target_user_id === user.id)).toBe(true);

    const logins = await events(`event=auth.login&target_user_id=${user.id}`);
    expect(logins.map((e) => e.outcome)).toEqual(['success', 'failure']);
    const failures = await events(`event=auth.login&target_user_id=${user.id}&outcome=failure`);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ outcome: 'failure', metadata: { reason: 'invalid_credentials' } });
    expect(JSON.stringify(failures[0])).not.toContain('Wrong-Password-1');

    const byAdmin = await events(`actor_id=${admin.id}&limit=100`);
    expect(byAdmin.every((e) => e.actor_id === admin.id)).toBe(true);
    expect(byAdmin.map((e) => e.event)).toContain('admin.user_updated');
    expect(await events(`actor_id=${admin.id}&target_user_id=${user.id}`)).toHaveLength(1);

    const successes = await events('outcome=success&limit=100');
    expect(successes.every((e) => e.outcome === 'success')).toBe(true);
    const failed = await events('outcome=failure&limit=100');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.outcome === 'failure')).toBe(true);
    expect(await events(`event=password.changed&target_user_id=${user.id}`)).toEqual([]);
  });

  it('filters by time: from inclusive, to exclusive, combined with the other filters', async () => {
    const target = randomUUID();
    const at = (h: number) => `2021-03-04T0${h}:00:00.000Z`;
    for (let h = 0; h < 5; h++) {
      await t.sql(`INSERT INTO audit_events (event, outcome, target_user_id, created_at) VALUES ($1, $2, $3, $4)`, [
        h % 2 ? 'auth.logout' : 'auth.login',
        h === 4 ? 'failure' : 'success',
        target,
        at(h),
      ]);
    }
    const window = await events(`target_user_id=${target}&from=${at(1)}&to=${at(3)}`);
    expect(window.map((e) => e.created_at)).toEqual([at(2), at(1)]);
    expect((await events(`target_user_id=${target}&from=${at(3)}`)).map((e) => e.created_at)).toEqual([at(4), at(3)]);
    expect((await events(`target_user_id=${target}&to=${at(1)}`)).map((e) => e.created_at)).toEqual([at(0)]);
    expect((await events(`target_user_id=${target}&event=auth.login&from=${at(1)}`)).map((e) => e.created_at)).toEqual([at(4), at(2)]);
    expect((await events(`target_user_id=${target}&event=auth.login&outcome=failure`)).map((e) => e.created_at)).toEqual([at(4)]);
    expect(await events(`from=${at(0)}&to=${at(0)}`)).toEqual([]);
  });

  it('paginates without duplicate or gap while events are recorded between pages', async () => {
    const target = randomUUID();
    for (let i = 0; i < 9; i++) {
      // three groups of identical timestamps: ties are broken by id
      await t.sql(
        `INSERT INTO audit_events (event, outcome, target_user_id, created_at) VALUES ('auth.login', 'success', $1, now() - make_interval(mins => $2))`,
        [target, Math.floor(i / 3) + 1],
      );
    }
    await t.sql(`UPDATE audit_events SET created_at = date_trunc('minute', created_at) WHERE target_user_id = $1`, [target]);
    const expected = ids(await t.sql<{ id: string }>(`SELECT id FROM audit_events WHERE target_user_id = $1 ORDER BY created_at DESC, id DESC`, [target]));
    const seen = await allPages(t, admin.tokens.access_token, `/admin/audit-logs?target_user_id=${target}`, 2, async () => {
      await t.sql(`INSERT INTO audit_events (event, outcome, target_user_id) VALUES ('auth.login', 'success', $1)`, [target]);
    });
    expect(ids(seen)).toEqual(expected);
    expect(new Set(ids(seen)).size).toBe(9);
  });

  it('refuses malformed filters and cursors with 400', async () => {
    for (const query of [
      'event=Auth Login',
      'actor_id=me',
      'target_user_id=123',
      'outcome=maybe',
      'from=yesterday',
      'to=2024-13-01T00:00:00Z',
      'limit=1000',
      `cursor=${Buffer.from('2024-01-01T00:00:00Z|x').toString('base64url')}`,
    ]) {
      const res = await get(`/admin/audit-logs?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});
