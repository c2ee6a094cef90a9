import { randomBytes } from 'node:crypto';
import { MIGRATIONS } from '@app/database';
import { bearer, login, makeAdmin, PASSWORD, register, registerAndLogin, uniqueEmail } from './support/auth';
import { createTestDatabase } from './support/database';
import { TEST_PG_ADMIN_URL } from './support/env';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';

const HEALTH_TOKEN = `monitoring-${randomBytes(16).toString('hex')}`;

/** Every field of the detailed report, with its type; `over` pins what a scenario decides. */
function detailedShape(over: { status: string; database?: object; redis?: object; email?: object }) {
  return {
    status: over.status,
    version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    environment: 'test',
    uptime_s: expect.any(Number),
    checks: {
      database: {
        status: 'up',
        latency_ms: expect.any(Number),
        pool: { total: expect.any(Number), idle: expect.any(Number), waiting: expect.any(Number) },
        migrations: { applied: MIGRATIONS.length, pending: 0 },
        ...over.database,
      },
      redis: { status: 'up', latency_ms: expect.any(Number), mode: 'redis', ...over.redis },
      email: {
        status: 'up',
        provider: 'log',
        outbox: { pending: expect.any(Number), failed: expect.any(Number), oldest_pending_age_s: expect.any(Number) },
        ...over.email,
      },
      memory: { rss_mb: expect.any(Number), heap_used_mb: expect.any(Number) },
      event_loop: { lag_ms: expect.any(Number) },
    },
  };
}

/** Prometheus text → value of one series (exact label set as written by prom-client), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Detailed health: shape and access', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof makeAdmin>>;
  let user: Awaited<ReturnType<typeof registerAndLogin>>;
  beforeAll(async () => {
    t = await startTestApp({ HEALTH_TOKEN });
    admin = await makeAdmin(t);
    user = await registerAndLogin(t);
  });
  afterAll(() => t.close());

  const detailed = (auth?: string) => {
    const req = t.http().get('/api/v1/health/detailed');
    return auth ? req.set('Authorization', auth) : req;
  };

  it('answers healthy with every field of the contract, for HEALTH_TOKEN and for an admin', async () => {
    for (const auth of [`Bearer ${HEALTH_TOKEN}`, `Bearer ${admin.tokens.access_token}`]) {
      const res = await detailed(auth).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(detailedShape({ status: 'healthy' }));
      // two registrations queued verification mail; delivery is off in tests
      expect(res.body.checks.email.outbox.pending).toBeGreaterThanOrEqual(2);
      expect(res.body.checks.database.pool.total).toBeGreaterThanOrEqual(1);
      expect(res.body.checks.database.pool.total).toBeLessThanOrEqual(t.config.database.poolSize);
    }
  });

  it('refuses without a token, with a wrong token or a malformed header (401), and non-admins (403)', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-of-some-length', `Bearer ${HEALTH_TOKEN}x`, HEALTH_TOKEN, `Basic ${HEALTH_TOKEN}`]) {
      const res = await detailed(auth).expect(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('unauthorized');
      expect(JSON.stringify(res.body)).not.toContain('checks');
    }
    const res = await detailed(`Bearer ${user.tokens.access_token}`).expect(403);
    expect(res.body.code).toBe('forbidden');
    const db = await t
      .http()
      .get('/api/v1/health/database')
      .set(...bearer(user.tokens.access_token))
      .expect(403);
    expect(db.body.code).toBe('forbidden');
    await t.http().get('/api/v1/health/database').expect(401);
  });

  it('refuses the access token of a revoked admin session', async () => {
    const other = await makeAdmin(t);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(other.tokens.access_token))
      .expect(204);
    const res = await detailed(`Bearer ${other.tokens.access_token}`).expect(401);
    expect(res.body.code).toBe('token_revoked');
  });

  it('serves /health/database: latency, pool and migrations', async () => {
    const res = await t.http().get('/api/v1/health/database').set('Authorization', `Bearer ${HEALTH_TOKEN}`).expect(200);
    expect(res.body).toEqual({
      status: 'up',
      latency_ms: expect.any(Number),
      pool: { total: expect.any(Number), idle: expect.any(Number), waiting: expect.any(Number) },
      migrations: { applied: MIGRATIONS.length, pending: 0 },
    });
    const [row] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM migrations`);
    expect(res.body.migrations.applied).toBe(row.n);
  });

  it('reports degraded (200) while the email outbox backs up, healthy again once it drains', async () => {
    const [row] = await t.sql<{ id: string }>(
      `INSERT INTO email_outbox (recipient, template, payload, status, next_attempt_at)
       VALUES ('late@example.com', 'verify_email', '{}', 'pending', now() - interval '10 minutes') RETURNING id`,
    );
    try {
      const res = await detailed(`Bearer ${HEALTH_TOKEN}`).expect(200);
      expect(res.body.status).toBe('degraded');
      expect(res.body.checks.email.status).toBe('degraded');
      expect(res.body.checks.email.outbox.oldest_pending_age_s).toBeGreaterThanOrEqual(600);
      expect(res.body.checks.database.status).toBe('up');
    } finally {
      await t.sql(`DELETE FROM email_outbox WHERE id = $1`, [row.id]);
    }
    const after = await detailed(`Bearer ${HEALTH_TOKEN}`).expect(200);
    expect(after.body.status).toBe('healthy');
    expect(after.body.checks.email.outbox.oldest_pending_age_s).toBeLessThan(300);
  });

  it('a failed mail is counted but does not degrade (one bad address is not an outage)', async () => {
    await t.sql(
      `INSERT INTO email_outbox (recipient, template, payload, status, last_error) VALUES ('bad@example.com', 'verify_email', '{}', 'failed', 'refused')`,
    );
    const res = await detailed(`Bearer ${HEALTH_TOKEN}`).expect(200);
    expect(res.body.checks.email.outbox.failed).toBe(1);
    expect(res.body.status).toBe('healthy');
  });
});

describe('Detailed health: Redis unreachable', () => {
  const proxy = new TcpProxy('127.0.0.1', 6379);
  let t: TestApp;
  beforeAll(async () => {
    await proxy.start();
    t = await startTestApp({ HEALTH_TOKEN, REDIS_URL: `redis://127.0.0.1:${proxy.port}/0` });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  it('is degraded (200, redis mode unavailable) while Redis is down, admins still get in, and recovers', async () => {
    const admin = await makeAdmin(t);
    const get = (auth = `Bearer ${HEALTH_TOKEN}`) => t.http().get('/api/v1/health/detailed').set('Authorization', auth);
    expect((await get().expect(200)).body).toEqual(detailedShape({ status: 'healthy' }));

    await proxy.stop();
    const down = await until(
      () => get(),
      (r) => r.body.status === 'degraded',
    );
    expect(down.status).toBe(200);
    expect(down.body).toEqual(detailedShape({ status: 'degraded', redis: { status: 'down', latency_ms: null, mode: 'unavailable' } }));
    // the admin's token is checked against PostgreSQL meanwhile
    const asAdmin = await get(`Bearer ${admin.tokens.access_token}`).expect(200);
    expect(asAdmin.body.checks.redis.mode).toBe('unavailable');
    const metrics = await t.http().get('/metrics').set('Authorization', `Bearer ${HEALTH_TOKEN}`).expect(200);
    expect(sample(metrics.text, 'identity_redis_fallback{component="store"}')).toBe(1);
    expect(sample(metrics.text, 'identity_redis_fallback{component="access_state"}')).toBe(1);

    await proxy.start();
    const back = await until(
      () => get(),
      (r) => r.body.status === 'healthy',
    );
    expect(back.body).toEqual(detailedShape({ status: 'healthy' }));
  });
});

describe('Detailed health: database unreachable', () => {
  it('answers 503 with the same JSON report (unhealthy, database down), and recovers', async () => {
    const db = await createTestDatabase();
    const pg = new URL(TEST_PG_ADMIN_URL);
    const proxy = new TcpProxy(pg.hostname, Number(pg.port || 5432));
    await proxy.start();
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestApp({ HEALTH_TOKEN, DATABASE_URL: url.toString() }, { db });
    try {
      const get = () => t.http().get('/api/v1/health/detailed').set('Authorization', `Bearer ${HEALTH_TOKEN}`);
      await get().expect(200);

      await proxy.stop();
      const res = await get().expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual(
        detailedShape({
          status: 'unhealthy',
          database: { status: 'down', latency_ms: null },
          email: { status: 'down', outbox: { pending: null, failed: null, oldest_pending_age_s: null } },
        }),
      );
      const dbCheck = await t.http().get('/api/v1/health/database').set('Authorization', `Bearer ${HEALTH_TOKEN}`).expect(503);
      expect(dbCheck.body).toMatchObject({ status: 'down', latency_ms: null, migrations: { applied: MIGRATIONS.length, pending: 0 } });

      await proxy.start();
      const back = await until(
        () => get(),
        (r) => r.status === 200,
      );
      expect(back.body.status).toBe('healthy');
    } finally {
      await t.close();
      await proxy.stop();
      await db.drop();
    }
  });
});

describe('Metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HEALTH_TOKEN, LOCKOUT_THRESHOLD: '3' });
  });
  afterAll(() => t.close());

  const scrape = async () => (await t.http().get('/metrics').set('Authorization', `Bearer ${HEALTH_TOKEN}`).expect(200)).text;

  it('needs HEALTH_TOKEN or an admin token, serves the Prometheus text format outside /api/v1', async () => {
    const admin = await makeAdmin(t);
    const user = await registerAndLogin(t);
    expect((await t.http().get('/metrics').expect(401)).body.code).toBe('unauthorized');
    expect(
      (
        await t
          .http()
          .get('/metrics')
          .set(...bearer(user.tokens.access_token))
          .expect(403)
      ).body.code,
    ).toBe('forbidden');
    await t.http().get('/api/v1/metrics').set('Authorization', `Bearer ${HEALTH_TOKEN}`).expect(404);

    const res = await t
      .http()
      .get('/metrics')
      .set(...bearer(admin.tokens.access_token))
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    // the database gauges, computed on the first scrape
    const [sessions] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > now()`);
    expect(sessions.n).toBeGreaterThanOrEqual(2);
    expect(sample(res.text, 'identity_active_sessions')).toBe(sessions.n);
    const [pending] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM email_outbox WHERE status = 'pending'`);
    expect(pending.n).toBeGreaterThanOrEqual(2);
    expect(sample(res.text, 'identity_outbox_messages{status="pending"}')).toBe(pending.n);
    expect(sample(res.text, 'identity_outbox_messages{status="failed"}')).toBe(0);
    expect(sample(res.text, 'identity_outbox_oldest_pending_age_seconds')).toEqual(expect.any(Number));
    for (const component of ['store', 'access_state', 'throttler']) {
      expect(sample(res.text, `identity_redis_fallback{component="${component}"}`)).toBe(0);
    }
    // default process metrics in the same registry
    expect(res.text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(res.text).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('counts sign-in outcomes: success, failure and lockout', async () => {
    const series = (outcome: string) => `identity_logins_total{method="password",outcome="${outcome}"}`;
    const before = await scrape();
    const user = await register(t);
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: 'Wrong-Password-1' }).expect(401);
    await login(t, user.email, PASSWORD);
    const victim = uniqueEmail('locked');
    for (let i = 0; i < 3; i++) await t.http().post('/api/v1/auth/login').send({ email: victim, password: 'Wrong-Password-1' }).expect(401);
    await t.http().post('/api/v1/auth/login').send({ email: victim, password: 'Wrong-Password-1' }).expect(423);
    const after = await scrape();
    const delta = (outcome: string) => (sample(after, series(outcome)) ?? 0) - (sample(before, series(outcome)) ?? 0);
    expect(delta('success')).toBe(1);
    expect(delta('failure')).toBe(4);
    expect(delta('locked')).toBe(1);
  });

  it('counts HTTP requests and latency by route pattern and status, never by raw URL', async () => {
    const admin = await makeAdmin(t);
    const user = await register(t);
    const unmatched = 'http_requests_total{method="GET",route="unmatched",status="404"}';
    const unmatchedBefore = sample(await scrape(), unmatched) ?? 0;
    await t
      .http()
      .get(`/api/v1/admin/users/${user.id}`)
      .set(...bearer(admin.tokens.access_token))
      .expect(200);
    await t
      .http()
      .get(`/api/v1/admin/users/${user.id}`)
      .set(...bearer(admin.tokens.access_token))
      .expect(200);
    await t.http().get(`/api/v1/admin/users/${user.id}`).expect(401);
    await t.http().get(`/api/v1/no-such-route/${user.id}`).expect(404);
    await t.http().get(`/elsewhere/${user.id}`).expect(404);
    await t.http().get('/health').expect(200);
    const text = await scrape();
    expect(sample(text, 'http_requests_total{method="GET",route="/api/v1/admin/users/:id",status="200"}')).toBe(2);
    expect(sample(text, 'http_requests_total{method="GET",route="/api/v1/admin/users/:id",status="401"}')).toBe(1);
    expect(sample(text, 'http_requests_total{method="GET",route="/health",status="200"}')).toBe(1);
    expect(sample(text, unmatched)).toBe(unmatchedBefore + 2);
    expect(sample(text, 'http_request_duration_seconds_count{method="GET",route="/api/v1/admin/users/:id",status="200"}')).toBe(2);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/v1\/admin\/users\/:id",status="200"\} \d+/m);
    expect(text).not.toContain(user.id);
  });
});
