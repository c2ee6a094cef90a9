import Redis from 'ioredis';
import { Api, Tokens } from '../support/http-client';
import { sleep, waitFor } from '../support/net';
import { RedisServer, ServerProcess, startApi, stopAll } from '../support/processes';
import { createTestDatabase, detailedHealth, HEALTH_TOKEN, note, PASSWORD, TestDatabase, uniqueEmail } from './support/scenario';
import { Tally, Traffic } from './support/traffic';
import { totpCode } from '../support/totp';

/**
 * Redis is killed (SIGKILL, no persistence: it comes back empty) while logins and authenticated
 * calls flow. Logins keep working, no revoked token is ever accepted, health says degraded, and
 * the node uses Redis again once it returns, without a restart.
 */
describe('Fault: Redis killed while traffic flows', () => {
  let redis: RedisServer;
  let db: TestDatabase;
  let node: ServerProcess;
  let api: Api;

  beforeAll(async () => {
    [redis, db] = await Promise.all([RedisServer.start(), createTestDatabase()]);
    node = await startApi({ env: { DATABASE_URL: db.url, REDIS_URL: redis.url, HEALTH_TOKEN } });
    api = new Api(node.url);
  });
  afterAll(async () => {
    await stopAll();
    await db?.drop();
  });

  it('keeps logins working, refuses every revoked token, reports degraded, and recovers without a restart', async () => {
    const email = uniqueEmail('redis');
    const live = await api.account(email, PASSWORD);
    const revokedBefore = await api.signIn(email, PASSWORD);
    const revokedDuring = await api.signIn(email, PASSWORD);
    expect((await api.logout(revokedBefore.access_token)).status).toBe(204);
    expect((await api.me(revokedBefore.access_token)).status).toBe(401);
    expect((await api.me(revokedDuring.access_token)).status).toBe(200);
    const baseline = await detailedHealth(() => api.detailedHealth(HEALTH_TOKEN));

    const tally = new Tally();
    const revoked: Tokens[] = [revokedBefore];
    const traffic = new Traffic(4, async (w, i) => {
      if (w === 0) {
        tally.record('login', await api.login(email, PASSWORD), [200]);
      } else if (i % 3 === 0) {
        const t = revoked[i % revoked.length];
        tally.record('me(revoked)', await api.me(t.access_token), [401]);
      } else {
        tally.record('me(live)', await api.me(live.access_token), [200]);
      }
    }).start();

    await sleep(400);
    const killedAt = Date.now();
    await redis.kill('SIGKILL');

    // a revocation while Redis is away is written to PostgreSQL and must hold on every request
    expect((await api.logout(revokedDuring.access_token)).status).toBe(204);
    revoked.push(revokedDuring);
    const during = await api.signIn(email, PASSWORD);
    expect((await api.me(during.access_token)).status).toBe(200);

    const degraded = await detailedHealth(() => api.detailedHealth(HEALTH_TOKEN));
    if (degraded !== undefined) {
      expect(degraded.status).toBe('degraded');
    } // else: GET /api/v1/health/detailed is not served by this version (404); nothing to assert

    await sleep(1500);
    const outageMs = Date.now() - killedAt;
    await redis.start(); // same port, empty
    await sleep(3000); // the client reconnects within its 2 s capped backoff
    await traffic.stop();

    note(`redis: detailed health ${baseline?.status ?? 'absent'} → ${degraded?.status ?? 'absent'} (redis check ${degraded?.checks?.redis?.status ?? '-'});`);
    note(`redis: outage ${outageMs} ms, ${traffic.iterations} calls; ${tally.toString().replace(/\n/g, '; ')}`);
    expect(tally.count('me(revoked)')).toBeGreaterThan(10);
    expect(tally.unexpected('me(revoked)', [401])).toBe(0); // 0 accepted
    expect(tally.count('login')).toBeGreaterThan(5);
    expect(tally.unexpected('login', [200])).toBe(0);
    expect(tally.unexpected('me(live)', [200])).toBe(0);
    expect(tally.serverErrors()).toBe(0);

    // recovered, same process: Redis serves the access-state cache again, including the
    // revocation that could not be written while it was down
    const after = await api.signIn(email, PASSWORD);
    expect((await api.me(after.access_token)).status).toBe(200);
    for (const t of revoked) expect((await api.me(t.access_token)).body.code).toBe('token_revoked');
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await client.connect();
      const prefix = 'idp:';
      const sessionKey = (t: Tokens) => `${prefix}as:{${t.user.id}}:s:${t.session_id}`;
      await waitFor('revocation written to the restarted Redis', async () => (await client.get(sessionKey(revokedDuring))) === 'r', 5000);
      expect(await client.get(sessionKey(after))).not.toBeNull();
    } finally {
      client.disconnect();
    }
    expect((await api.logout(after.access_token)).status).toBe(204);
    expect((await api.me(after.access_token)).status).toBe(401);

    if (baseline !== undefined) {
      await waitFor(
        'detailed health back to its status before the outage',
        async () => (await detailedHealth(() => api.detailedHealth(HEALTH_TOKEN)))?.status === baseline.status,
        10000,
      );
    }
    expect(node.child.exitCode).toBeNull();
  });

  it('a user with a second factor is never signed in while Redis is down: 503, not tokens; back to mfa_required after', async () => {
    const email = uniqueEmail('redis-mfa');
    const me = await api.account(email, PASSWORD);
    const bearer = { authorization: `Bearer ${me.access_token}` };
    const setup = await api.send({ method: 'POST', path: '/api/v1/auth/mfa/totp/setup', headers: bearer });
    expect(setup.status).toBe(200);
    const t0 = Date.now();
    const secret = (setup.body as { secret: string }).secret;
    const confirm = await api.send({ method: 'POST', path: '/api/v1/auth/mfa/totp/confirm', headers: bearer, body: { code: totpCode(secret, t0) } });
    expect(confirm.status).toBe(200);
    const pending = await api.login(email, PASSWORD);
    expect(pending.body).toMatchObject({ mfa_required: true });

    await redis.kill('SIGKILL');
    try {
      const login = await api.login(email, PASSWORD);
      expect([login.status, (login.body as { code?: string }).code]).toEqual([503, 'service_unavailable']);
      const verify = await api.send({
        method: 'POST',
        path: '/api/v1/auth/mfa/verify',
        body: { mfa_token: (pending.body as { mfa_token: string }).mfa_token, code: totpCode(secret, t0 + 30_000) },
      });
      expect(verify.status).toBe(503);
      const passkey = await api.send({ method: 'POST', path: '/api/v1/auth/passkeys/login/options', body: {} });
      expect(passkey.status).toBe(503);
    } finally {
      await redis.start();
    }
    await waitFor(
      'a sign-in asks for the second factor again',
      async () => ((await api.login(email, PASSWORD)).body as { mfa_required?: boolean }).mfa_required === true,
      10000,
    );
    expect(node.child.exitCode).toBeNull();
  });
});
