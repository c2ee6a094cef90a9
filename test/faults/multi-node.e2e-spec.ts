import { Api, HttpResult } from '../support/http-client';
import { RedisServer, startApi, stopAll } from '../support/processes';
import { clientIp, createTestDatabase, PASSWORD, query, TestDatabase, uniqueEmail } from './support/scenario';

const LOGIN_LIMIT = 5;

/**
 * Two API nodes behind an imaginary load balancer, on one PostgreSQL and one Redis: nothing a
 * node keeps to itself may let a client get more than it would from a single node.
 * TRUST_PROXY=1 lets each test be its own client (X-Forwarded-For), so the small login limit
 * only meets the throttling test.
 */
describe('Fault: two API nodes on one PostgreSQL and Redis', () => {
  let redis: RedisServer;
  let db: TestDatabase;
  let a: Api;
  let b: Api;

  beforeAll(async () => {
    [redis, db] = await Promise.all([RedisServer.start(), createTestDatabase()]);
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, TRUST_PROXY: '1', THROTTLE_LOGIN_LIMIT: String(LOGIN_LIMIT), THROTTLE_TTL: '60' };
    const nodeA = await startApi({ env });
    const nodeB = await startApi({ env });
    a = new Api(nodeA.url);
    b = new Api(nodeB.url);
  });
  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  const as = (ip: string) => ({ 'X-Forwarded-For': ip });

  it('logout on node A: the token is refused on node B at its next request', async () => {
    const ip = as(clientIp());
    const email = uniqueEmail('logout');
    const tokens = await a.account(email, PASSWORD, ip);
    expect((await b.me(tokens.access_token)).status).toBe(200); // B has seen it live
    expect((await a.logout(tokens.access_token)).status).toBe(204);
    const refused = await b.me(tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_revoked');

    // and the other way round, for every session of the user (logout-all on B)
    const s1 = await a.signIn(email, PASSWORD, ip);
    const s2 = await b.signIn(email, PASSWORD, ip);
    for (const t of [s1, s2]) for (const node of [a, b]) expect((await node.me(t.access_token)).status).toBe(200);
    expect((await b.send({ method: 'POST', path: '/api/v1/auth/logout-all', headers: { Authorization: `Bearer ${s2.access_token}` } })).status).toBe(204);
    for (const t of [s1, s2]) for (const node of [a, b]) expect((await node.me(t.access_token)).body.code).toBe('token_revoked');
  });

  it('shares the login throttle between the nodes', async () => {
    const ip = as(clientIp());
    const wrong = (node: Api) => node.login(uniqueEmail('nobody'), 'Wrong-Password-1', ip);
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_LIMIT; i++) statuses.push((await wrong(i % 2 ? b : a)).status);
    expect(statuses).toEqual(Array(LOGIN_LIMIT).fill(401));
    for (const node of [a, b]) {
      const limited = await wrong(node);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
    // another client is not affected
    expect((await wrong(b)).status).toBe(429);
    expect((await b.login(uniqueEmail('nobody'), 'Wrong-Password-1', as(clientIp()))).status).toBe(401);
  });

  it('a refresh race across the nodes has one winner: every caller within the grace window gets the same new token', async () => {
    const ip = as(clientIp());
    const email = uniqueEmail('race');
    const t0 = await a.account(email, PASSWORD, ip);
    const race = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? b : a).refresh(t0.refresh_token, ip)));
    expect(race.map((r) => r.status)).toEqual(Array(8).fill(200));
    const winners = new Set(race.map((r) => r.body.refresh_token));
    expect(winners.size).toBe(1);
    const [r1] = winners;
    expect(r1).not.toBe(t0.refresh_token);
    expect(new Set(race.map((r) => r.body.session_id))).toEqual(new Set([t0.session_id]));
    // the family did not fork: one rotation happened
    const rows = await query<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1`, [t0.session_id]);
    expect(rows[0].n).toBe(2);
    // every access token handed out by the race works on both nodes
    for (const r of race.slice(0, 2)) for (const node of [a, b]) expect((await node.me(r.body.access_token)).status).toBe(200);
    // and the winner rotates normally, on either node
    expect((await b.refresh(r1, ip)).status).toBe(200);
  });

  it('a refresh token two rotations old is reuse on either node: the session is revoked everywhere', async () => {
    const ip = as(clientIp());
    const email = uniqueEmail('reuse');
    await a.register(email, PASSWORD, ip);
    for (const [rotate, replay] of [
      [a, b],
      [b, a],
    ] as const) {
      const t0 = await rotate.signIn(email, PASSWORD, ip);
      const r1 = await expectOk(rotate.refresh(t0.refresh_token, ip));
      const r2 = await expectOk(replay.refresh(r1.refresh_token, ip));
      const reused = await replay.refresh(t0.refresh_token, ip);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('refresh_token_reused');
      for (const node of [a, b]) {
        expect((await node.me(r2.access_token)).body.code).toBe('token_revoked');
        expect((await node.refresh(r2.refresh_token, ip)).status).toBe(401);
      }
    }
  });
});

async function expectOk(res: Promise<HttpResult>): Promise<{ access_token: string; refresh_token: string }> {
  const r = await res;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status} ${r.text}`);
  return r.body;
}
