import Redis from 'ioredis';
import { Pool } from 'pg';
import { UnitOfWork } from '@app/database';
import { KeyValueStore, MemoryKeyValueStore } from '@app/redis';
import { AccessChangesReplayer, AccessStateService, SessionsService } from '@app/sessions';
import { UsersRepository } from '@app/users';
import { TEST_REDIS_URL } from './support/env';
import { bearer, forge, makeAdmin, registerAndLogin, Tokens } from './support/auth';
import { waitFor } from './support/net';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Access state (issue 16): a unit of work whose after-commit effects nobody has to remember, a
 * versioned cache that older writes cannot overwrite, a change log any node replays, and one
 * Redis call per authenticated request.
 */
describe('Access state', () => {
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    t = await startTestApp({ THROTTLE_LIMIT: '40' });
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    redis.disconnect();
    await t.close();
  });

  const me = (token: string) =>
    t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(token));
  const sessionKey = (tokens: Tokens) => `${t.keyPrefix}as:{${tokens.user.id}}:s:${tokens.session_id}`;
  const userKey = (id: string) => `${t.keyPrefix}as:{${id}}:u`;
  const auditCount = async (name: string, target: string) =>
    Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE event = $1 AND target_user_id = $2`, [name, target]))[0].n);

  describe('unit of work', () => {
    it('a revocation inside a unit of work that rolls back leaves no trace: sessions live, no audit, no cache mark', async () => {
      const user = await registerAndLogin(t);
      await expect(
        t.app.get(UnitOfWork).run(async (tx) => {
          await t.app.get(SessionsService).revokeAllForUser(user.id, 'test', { actorId: user.id }, { tx });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect((await me(user.tokens.access_token)).status).toBe(200);
      expect(await redis.get(sessionKey(user.tokens))).not.toBe('r');
      expect(await auditCount('session.revoked', user.id)).toBe(0);
    });

    it('a revocation joined to a bigger unit of work reaches the cache after that commits, without the caller doing anything', async () => {
      const user = await registerAndLogin(t);
      let markInsideTx: string | null = 'unset';
      await t.app.get(UnitOfWork).run(async (tx) => {
        await t.app.get(SessionsService).revokeAllForUser(user.id, 'test', { actorId: user.id }, { tx });
        markInsideTx = await redis.get(sessionKey(user.tokens));
      });
      expect(markInsideTx).not.toBe('r'); // effects wait for the commit
      expect(await redis.get(sessionKey(user.tokens))).toBe('r');
      expect(await auditCount('session.revoked', user.id)).toBe(1);
      expect((await me(user.tokens.access_token)).body.code).toBe('token_revoked');
    });

    it('a failing after-commit effect is logged and does not undo the commit', async () => {
      const user = await registerAndLogin(t);
      const result = await t.app.get(UnitOfWork).run(async (tx) => {
        await t.sql(`SELECT 1`);
        tx.afterCommit(() => {
          throw new Error('effect failed');
        });
        await t.app.get(UsersRepository).updateName(user.id, 'Committed', tx);
        return 'done';
      });
      expect(result).toBe('done');
      expect((await t.sql<{ name: string }>(`SELECT name FROM users WHERE id = $1`, [user.id]))[0].name).toBe('Committed');
    });
  });

  describe('versioned cache', () => {
    it.each([
      ['Redis', () => t.app.get(KeyValueStore)],
      ['in-process', () => new MemoryKeyValueStore()],
    ])('%s: setIfNewer never lets an older or equal version replace a newer one', async (_name, make) => {
      const store = make();
      const key = `cas-test:${Math.random()}`;
      expect(await store.setIfNewer(key, 5, 'five', 60_000)).toBe(true);
      expect(await store.setIfNewer(key, 4, 'four', 60_000)).toBe(false);
      expect(await store.setIfNewer(key, 5, 'again', 60_000)).toBe(false);
      expect((await store.mget([key]))[0]).toBe('5|five');
      expect(await store.setIfNewer(key, 6, 'six', 60_000)).toBe(true);
      expect((await store.mget([key]))[0]).toBe('6|six');
      await store.del([key]);
    });

    it.each([
      ['Redis', () => t.app.get(KeyValueStore)],
      ['in-process', () => new MemoryKeyValueStore()],
    ])('%s: warming a session never overwrites its revocation, and its user only with a newer version', async (_name, make) => {
      const store = make();
      const id = Math.random();
      const [s, u] = [`warm-test:{${id}}:s`, `warm-test:{${id}}:u`];
      await store.setUnlessAndIfNewer({ key: s, value: '100', unless: 'r' }, { key: u, version: 3, payload: 'three' }, 60_000);
      expect(await store.mget([s, u])).toEqual(['100', '3|three']);
      await store.set(s, 'r', 60_000);
      await store.setUnlessAndIfNewer({ key: s, value: '200', unless: 'r' }, { key: u, version: 2, payload: 'two' }, 60_000);
      expect(await store.mget([s, u])).toEqual(['r', '3|three']);
      await store.del([s]);
      await store.setUnlessAndIfNewer({ key: s, value: '300', unless: 'r' }, { key: u, version: 4, payload: 'four' }, 60_000);
      expect(await store.mget([s, u])).toEqual(['300', '4|four']);
      await store.del([s, u]);
    });

    it('a stale read of the user (older version, still admin) written late cannot undo a demotion', async () => {
      const admin = await makeAdmin(t);
      const target = await makeAdmin(t);
      const stale = (await t.app.get(UsersRepository).findById(target.id))!;
      expect(stale.role).toBe('admin');
      const res = await t
        .http()
        .patch(`/api/v1/admin/users/${target.id}`)
        .set(...bearer(admin.tokens.access_token))
        .send({ role: 'user' });
      expect(res.status).toBe(200);
      // the late writer: a refresh or login that read the user before the demotion
      await t.app.get(AccessStateService).sessionLive(target.tokens.session_id, new Date(Date.now() + 60_000), stale);
      const after = await me(target.tokens.access_token);
      expect(after.body.role).toBe('user');
      const probe = await t
        .http()
        .get('/api/v1/admin/users')
        .set(...bearer(target.tokens.access_token));
      expect(probe.status).toBe(403);
    });

    it('a change written straight to PostgreSQL (no push at all) is honoured through the change log', async () => {
      const user = await registerAndLogin(t);
      expect((await me(user.tokens.access_token)).status).toBe(200);
      await t.sql(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
      await waitFor('the replayed change', async () => (await me(user.tokens.access_token)).status === 401, 2000, 50);
      expect((await t.sql(`SELECT 1 FROM access_changes WHERE user_id = $1`, [user.id])).length).toBe(0);
      expect((await redis.get(userKey(user.id)))?.split('|')[1]).toBe('0');
    });

    it('the cached profile follows a profile change at once', async () => {
      const user = await registerAndLogin(t);
      expect((await me(user.tokens.access_token)).body.name).toBeNull();
      const put = await t
        .http()
        .put('/api/v1/users/profile')
        .set(...bearer(user.tokens.access_token))
        .send({ name: 'Grace Hopper' });
      expect(put.status).toBe(200);
      expect((await me(user.tokens.access_token)).body.name).toBe('Grace Hopper');
      expect(
        (
          await t
            .http()
            .get('/api/v1/users/profile')
            .set(...bearer(user.tokens.access_token))
        ).body.name,
      ).toBe('Grace Hopper');
    });
  });

  describe('one round trip', () => {
    it('a warm authenticated request makes one Redis call (a script) and no PostgreSQL query', async () => {
      const user = await registerAndLogin(t);
      expect((await me(user.tokens.access_token)).status).toBe(200); // warm
      const replayer = t.app.get(AccessChangesReplayer);
      await replayer.onModuleDestroy(); // its polling is PostgreSQL traffic of its own
      const pool = (t.dataSource.driver as unknown as { master: Pool }).master;
      const queries = jest.spyOn(pool, 'query');
      const connects = jest.spyOn(pool, 'connect');
      const monitor = await redis.monitor();
      const commands: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        // what a script runs inside Redis is listed too (source "lua"): only the calls over the wire count
        if (source !== 'lua' && args.some((a) => a.startsWith(t.keyPrefix))) commands.push(args);
      });
      try {
        await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 10; i++) {
          const res = await me(user.tokens.access_token);
          expect(res.status).toBe(200);
          expect(res.body.email).toBe(user.email);
        }
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        monitor.disconnect();
        queries.mockRestore();
        connects.mockRestore();
        replayer.onApplicationBootstrap();
      }
      expect(commands.map((c) => c[0].toLowerCase())).toEqual(Array(10).fill('evalsha'));
      // the three keys of a call share the user's hash tag (one Redis Cluster slot)
      for (const c of commands) expect(c.slice(3, 6).every((k) => k.includes(`{${user.id}}`))).toBe(true);
      expect(queries).not.toHaveBeenCalled();
      expect(connects).not.toHaveBeenCalled();
    });

    it('authenticated requests are throttled per user in the same call; tokens that fail verification per client address', async () => {
      const one = await registerAndLogin(t);
      const other = await registerAndLogin(t);
      const statuses: number[] = [];
      for (let i = 0; i < 41; i++) statuses.push((await me(one.tokens.access_token)).status);
      expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
      const limited = await me(one.tokens.access_token);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // another user from the same address is not affected
      expect((await me(other.tokens.access_token)).status).toBe(200);

      const bad = forge(t, { sub: other.id, sid: other.tokens.session_id }, { secret: 'not-the-secret-' + 'x'.repeat(40) });
      const answers: number[] = [];
      for (let i = 0; i < 42; i++) answers.push((await me(bad)).status);
      // (the file's other refused tokens came from the same address and count too)
      const first429 = answers.indexOf(429);
      expect(answers[0]).toBe(401);
      expect(first429).toBeGreaterThan(0);
      expect(answers.slice(0, first429).every((s) => s === 401)).toBe(true);
      expect(answers.slice(first429).every((s) => s === 429)).toBe(true);
    });
  });
});
