import { adminQuery } from '../support/database';
import { Api, bearer } from '../support/http-client';
import { sleep, waitFor } from '../support/net';
import { RedisServer, ServerProcess, startApi, stopAll } from '../support/processes';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, note, PASSWORD, TestDatabase, uniqueEmail } from './support/scenario';
import { Tally, Traffic } from './support/traffic';

/**
 * PostgreSQL goes away under the API: first its connections are terminated by the server
 * (pg_terminate_backend, what a failover or an admin does), then it is unreachable for a while
 * (a TCP proxy in front of it is closed). The API comes back by itself; /ready tells the truth.
 */
describe('Fault: PostgreSQL connections terminated / PostgreSQL unreachable', () => {
  let redis: RedisServer;
  let db: TestDatabase;
  let direct: ServerProcess;
  let proxied: ServerProcess;
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres').port || 5432));

  beforeAll(async () => {
    [redis, db] = await Promise.all([RedisServer.start(), createTestDatabase(), proxy.start()]);
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // the first node migrates; the second only opens its pool (through the proxy)
    direct = await startApi({ env: { DATABASE_URL: db.url, REDIS_URL: redis.url } });
    proxied = await startApi({ env: { DATABASE_URL: viaProxy.toString(), REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await stopAll();
    await proxy.stop();
    await db?.drop();
  });

  it('answers again within seconds after its connections are terminated, without a restart', async () => {
    const api = new Api(direct.url);
    const email = uniqueEmail('pgkill');
    const tokens = await api.account(email, PASSWORD);

    const tally = new Tally();
    const traffic = new Traffic(4, async (w) => {
      if (w === 0) tally.record('login', await api.login(email, PASSWORD));
      else if (w === 1) tally.record('sessions', await api.send({ path: '/api/v1/users/sessions', headers: bearer(tokens.access_token) }));
      else tally.record('me', await api.me(tokens.access_token));
    }).start();

    await sleep(500);
    let terminated = 0;
    for (let round = 0; round < 3; round++) {
      const rows = await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]);
      terminated += rows.length;
      await sleep(300);
    }
    const lastKill = Date.now();
    const recoveryMs = await waitFor(
      'login and authenticated reads answer again',
      async () => (await api.login(email, PASSWORD)).status === 200 && (await api.me(tokens.access_token)).status === 200,
      10000,
      50,
    );
    await sleep(1000);
    await traffic.stop();

    note(`pg_terminate_backend: ${terminated} connections over 3 rounds, recovered ${recoveryMs} ms after the last; ${tally.toString().replace(/\n/g, '; ')}`);
    expect(terminated).toBeGreaterThan(0);
    expect(recoveryMs).toBeLessThan(5000);
    // the calls caught mid-query fail as plain problem documents that leak nothing
    for (const body of tally.errorBodies) {
      expect(JSON.parse(body)).toMatchObject({ status: expect.any(Number), code: expect.any(String) });
      expect(body).not.toMatch(/terminat|administrator|postgres|5432| {4}at /i);
    }
    // steady again: a burst of calls all succeed (the logins are of other accounts: more than
    // LOCKOUT_THRESHOLD parallel logins of one email count as attempts and lock it)
    const others: string[] = [];
    for (let i = 0; i < 3; i++) {
      const other = uniqueEmail('pgburst');
      await api.account(other, PASSWORD);
      others.push(other);
    }
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 10 === 0
          ? api.login(others[i / 10], PASSWORD)
          : i % 2
            ? api.me(tokens.access_token)
            : api.send({ path: '/api/v1/users/sessions', headers: bearer(tokens.access_token) }),
      ),
    );
    expect(burst.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(Date.now() - lastKill).toBeLessThan(15000);
    expect(direct.child.exitCode).toBeNull();
    // the other node's connections were terminated too (same database): it is still up
    if (proxied.gone()) throw new Error(`${proxied.gone()}\n${proxied.output()}`);
  });

  it('/ready answers 503 while PostgreSQL is unreachable and 200 once it is back; the API recovers by itself', async () => {
    const api = new Api(proxied.url);
    const email = uniqueEmail('pgdown');
    const tokens = await api.account(email, PASSWORD);
    expect((await api.ready()).status).toBe(200);

    await proxy.stop();
    const downAt = Date.now();
    const detectedMs = await waitFor('/ready says 503', async () => (await api.ready()).status === 503, 10000);
    const notReady = await api.ready();
    expect(notReady.status).toBe(503);
    expect(notReady.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(notReady.body.code).toBe('service_unavailable');
    expect(notReady.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432|postgres/i);
    // the process stays up and answers what needs no database
    expect((await api.send({ path: '/api/v1/health/live' })).status).toBe(200);
    const during = await api.login(email, PASSWORD);
    expect(during.status).toBeGreaterThanOrEqual(500); // no login without the database...
    expect(during.text).not.toMatch(/ECONNREFUSED|5432| {4}at /); // ...and nothing internal in the answer
    await sleep(1500);

    await proxy.start(proxy.port);
    const upAt = Date.now();
    const readyMs = await waitFor('/ready says 200 again', async () => (await api.ready()).status === 200, 15000);
    const loginMs = await waitFor('login works again', async () => (await api.login(email, PASSWORD)).status === 200, 10000);
    expect((await api.me(tokens.access_token)).status).toBe(200);
    note(
      `tcp outage ${upAt - downAt} ms: /ready 503 after ${detectedMs} ms, login during → ${during.status} ${during.body?.code}; /ready 200 ${readyMs} ms after return, login ${loginMs} ms`,
    );
    expect(readyMs).toBeLessThan(10000);
    expect(proxied.child.exitCode).toBeNull();
  });
});
