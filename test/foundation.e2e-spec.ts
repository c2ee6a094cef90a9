import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { createTestDatabase } from './support/database';
import { TEST_JWT_SECRET, TEST_KEY_ENCRYPTION_SECRET } from './support/env';
import { runMain } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;

describe('Foundation: errors, headers, health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'http://app.test,https://admin.example.com' });
  });
  afterAll(() => t.close());

  it('answers GET /health with status, environment and version', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toEqual({ status: 'healthy', environment: 'test', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('answers liveness and readiness under /api/v1', async () => {
    await t.http().get('/api/v1/health/live').expect(200);
    await t.http().get('/api/v1/health/ready').expect(200, { status: 'ok' });
  });

  it('renders unknown routes as 404 not_found problem details', async () => {
    const res = await t.http().get('/api/v1/does-not-exist').expect(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      code: 'not_found',
      detail: expect.any(String),
      request_id: res.headers['x-request-id'],
    });
  });

  it('renders malformed JSON as 400 invalid_json', async () => {
    const res = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email": ').expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it('refuses bodies over 16 KiB with 413 payload_too_large', async () => {
    const res = await t
      .http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(17 * 1024) }))
      .expect(413);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('generates a request id, echoes a sane one and replaces an insane one', async () => {
    const generated = await t.http().get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.http().get('/health').set('X-Request-Id', 'client-abc.123');
    expect(echoed.headers['x-request-id']).toBe('client-abc.123');
    const replaced = await t.http().get('/health').set('X-Request-Id', 'bad id with spaces <script>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await t.http().get('/nope').set('X-Request-Id', 'trace-42');
    expect(problem.body.request_id).toBe('trace-42');
  });

  it('sends the helmet security headers and no X-Powered-By', async () => {
    const res = await t.http().get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('allows CORS for configured origins only', async () => {
    const allowed = await t.http().options('/api/v1/auth/login').set('Origin', 'https://admin.example.com').set('Access-Control-Request-Method', 'POST');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');

    const refused = await t.http().options('/api/v1/auth/login').set('Origin', 'https://evil.example.net').set('Access-Control-Request-Method', 'POST');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers['access-control-allow-credentials']).toBeUndefined();
  });

  // what the API did on Express and Fastify does otherwise by default (docs/pitfalls.md)
  it('routes case-insensitively, ignores a trailing slash, and lets long route parameters reach the guards', async () => {
    await t.http().get('/API/V1/Health/Live/').expect(200);
    const res = await t
      .http()
      .get(`/api/v1/admin/users/${'a'.repeat(300)}`)
      .expect(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('answers a path that does not percent-decode with 400 bad_request problem details', async () => {
    const res = await t.http().get('/api/v1/%zz').set('X-Request-Id', 'bad-url-1').expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.headers['x-request-id']).toBe('bad-url-1');
    expect(res.body).toMatchObject({ status: 400, code: 'bad_request', request_id: 'bad-url-1' });
  });

  it('checks the body of a GET too: malformed JSON is 400 invalid_json', async () => {
    const res = await t.http().get('/health').set('Content-Type', 'application/json').send('{"a": ').expect(400);
    expect(res.body).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it('answers an OPTIONS from an allowed origin without Access-Control-Request-Method as a preflight (204)', async () => {
    const res = await t.http().options('/api/v1/auth/login').set('Origin', 'https://admin.example.com');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the OpenAPI document at /docs-json and the UI at /docs', async () => {
    const json = await t.http().get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/health', '/api/v1/health/ready']));
    const ui = await t.http().get('/docs').redirects(1);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});

describe('Foundation: readiness follows the database', () => {
  it('reports 503 service_unavailable while PostgreSQL is unreachable, and 200 again after', async () => {
    const db = await createTestDatabase();
    const proxy = new TcpProxy('127.0.0.1', 5432);
    await proxy.start();
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const t = await startTestApp({ DATABASE_URL: url.toString() }, { db });
    try {
      await t.http().get('/api/v1/health/ready').expect(200);
      await proxy.stop();
      const res = await t.http().get('/api/v1/health/ready').expect(503);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres/i);
      await t.http().get('/health').expect(200);
      await proxy.start();
      await t.http().get('/api/v1/health/ready').expect(200);
    } finally {
      await proxy.stop();
      await t.close();
      await db.drop();
    }
  });
});

describe('Foundation: production refuses unsafe configuration', () => {
  const good = {
    NODE_ENV: 'production',
    JWT_SECRET: TEST_JWT_SECRET,
    KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET,
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    REDIS_URL: 'redis://127.0.0.1:1',
  };
  const cases: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ['JWT_SECRET missing', { JWT_SECRET: undefined }, /JWT_SECRET is required/],
    ['JWT_SECRET too short', { JWT_SECRET: 'short-secret-of-31-bytes-xxxxxx' }, /JWT_SECRET must be at least 32 bytes/],
    [
      'JWT_SECRET the placeholder',
      { JWT_SECRET: 'replace-me-with-at-least-32-random-bytes-openssl-rand-base64-48' },
      /JWT_SECRET is a placeholder or a word.*openssl rand -base64 48/,
    ],
    ['JWT_SECRET of one repeated character', { JWT_SECRET: 'a'.repeat(32) }, /JWT_SECRET has too few distinct characters/],
    ['DATABASE_URL missing', { DATABASE_URL: undefined }, /DATABASE_URL is required in production/],
    ['REDIS_URL missing', { REDIS_URL: undefined }, /REDIS_URL is required in production/],
    ['KEY_ENCRYPTION_SECRET missing with ES256', { KEY_ENCRYPTION_SECRET: undefined }, /KEY_ENCRYPTION_SECRET is required with JWT_ALGORITHM=ES256/],
    ['a malformed number', { JWT_ACCESS_TTL: 'soon' }, /JWT_ACCESS_TTL/],
    ['TRUST_PROXY=true', { TRUST_PROXY: 'true' }, /TRUST_PROXY/],
  ];
  it.each(cases)('exits 1 with one line naming the variable: %s', async (_name, patch, message) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...good, ...patch })) if (v !== undefined) env[k] = v;
    const { code, stderr } = await runMain(env);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

describe('Foundation: migrations', () => {
  it('run up and down cleanly on an empty database', async () => {
    const db = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions({ url: db.url, dataDir: '/nonexistent', poolSize: 2 }));
    await ds.initialize();
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      expect(applied.length).toBeGreaterThan(0);
      expect(await ds.showMigrations()).toBe(false);
      const tables = async () =>
        (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`)).map(
          (r: { tablename: string }) => r.tablename,
        );
      expect(await tables()).toEqual(expect.arrayContaining(['users', 'sessions', 'refresh_tokens', 'audit_events']));
      for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      expect(await tables()).toEqual([]);
      expect(await ds.showMigrations()).toBe(true);
      await ds.runMigrations({ transaction: 'each' });
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
