import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, deleteRedisPrefix, TestDatabase } from './support/database';
import { baseTestEnv, TEST_REDIS_URL } from './support/env';
import { FakeOtlpReceiver, ReceivedSpan, SPAN_KIND } from './support/fake-otlp';
import { Api } from './support/http-client';
import { sleep, waitFor } from './support/net';
import { ROOT, ServerProcess, startApi, stopAll, tsNode } from './support/processes';

/**
 * Optional OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT), against a local OTLP/HTTP receiver:
 * the real entry point, spawned as `npm start` runs it, exports one trace per request (the HTTP
 * server span of the route, Fastify's and Nest's spans, PostgreSQL and Redis calls), the
 * request's log line carries its trace id, and SIGTERM flushes what is still buffered. Without
 * the variable not one OpenTelemetry module is loaded.
 */

const PASSWORD = 'Correct-Horse-7';
const OTEL_MODULE = /[\\/]node_modules[\\/](@opentelemetry|@fastify[\\/]otel)[\\/]/;
const PRELOAD = ['-r', join(ROOT, 'test/support/report-loaded-modules.js')];
const API_PACKAGE = join('node_modules', '@opentelemetry', 'api', '');

interface LogLine {
  msg?: string;
  request_id?: string;
  route?: string;
  trace_id?: string;
  span_id?: string;
}

/** The JSON lines a server wrote (stdout and stderr), skipping anything else. */
function logLines(server: ServerProcess): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function requestLine(server: ServerProcess, requestId: string): LogLine | undefined {
  return logLines(server).find((l) => l.request_id === requestId && l.msg === 'request completed');
}

const tmp = mkdtempSync(join(tmpdir(), 'idp-tracing-'));
const uniqueEmail = (tag: string) => `${tag}.${randomBytes(5).toString('hex')}@example.com`;

/** The modules a server loaded, and who required each first, as it wrote them at exit (report-loaded-modules.js). */
function loadedModules(file: string): { id: string; parent: string | null }[] {
  return JSON.parse(readFileSync(file, 'utf8')) as { id: string; parent: string | null }[];
}

describe('OpenTelemetry traces', () => {
  let db: TestDatabase;
  const prefix = `idp-tracing-${randomBytes(4).toString('hex')}:`;
  const receiver = new FakeOtlpReceiver();

  beforeAll(async () => {
    [db] = await Promise.all([createTestDatabase(), receiver.start()]);
  });
  afterAll(async () => {
    await stopAll();
    await receiver.stop();
    await db?.drop();
    await deleteRedisPrefix(TEST_REDIS_URL, prefix);
    rmSync(tmp, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) => ({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'info',
    ...extra,
  });

  describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    let api: ServerProcess;

    beforeAll(async () => {
      api = await startApi({
        env: env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200' }),
      });
    });
    afterAll(() => api?.stop());

    it('a login is one trace: the route’s server span, Fastify and Nest, PostgreSQL and Redis; its log line has the trace id', async () => {
      const client = new Api(api.url);
      const email = uniqueEmail('traced');
      expect((await client.register(email, PASSWORD)).status).toBe(201);
      const requestId = `login-${randomBytes(6).toString('hex')}`;
      expect((await client.login(email, PASSWORD, { 'X-Request-Id': requestId })).status).toBe(200);

      // the HTTP server span, named for the route once Fastify matched it
      let server: ReceivedSpan | undefined;
      await waitFor('the login’s server span', async () => {
        server = receiver.spans.find((s) => s.kind === SPAN_KIND.SERVER && s.attributes['http.route'] === '/api/v1/auth/login');
        return server !== undefined;
      });
      expect(server).toMatchObject({ name: 'POST /api/v1/auth/login', scope: '@opentelemetry/instrumentation-http', service: 'identity-api' });
      expect(server!.parentSpanId).toBeUndefined();
      expect(server!.attributes).toMatchObject({ 'http.response.status_code': 200 });

      const inTrace = () => receiver.spans.filter((s) => s.traceId === server!.traceId);
      const scopes = () => new Set(inTrace().map((s) => s.scope));
      await waitFor('pg, ioredis, Nest and Fastify spans in the login’s trace', async () =>
        ['@opentelemetry/instrumentation-pg', '@opentelemetry/instrumentation-ioredis', '@opentelemetry/instrumentation-nestjs-core', '@fastify/otel'].every(
          (scope) => scopes().has(scope),
        ),
      ).catch((err: Error) => {
        throw new Error(`${err.message}; the trace has ${JSON.stringify([...scopes()])}`);
      });
      const spans = inTrace();
      expect(spans.filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.kind === SPAN_KIND.CLIENT)).toEqual(
        expect.arrayContaining([expect.objectContaining({ attributes: expect.objectContaining({ 'db.system.name': 'postgresql' }) })]),
      );
      expect(spans.filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis' && s.kind === SPAN_KIND.CLIENT)).toEqual(
        expect.arrayContaining([expect.objectContaining({ attributes: expect.objectContaining({ 'db.system.name': 'redis' }) })]),
      );
      expect(spans).toEqual(
        expect.arrayContaining([expect.objectContaining({ scope: '@opentelemetry/instrumentation-nestjs-core', name: 'AuthController.login' })]),
      );

      // one tree: every span of the trace leads up to the server span
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const rootOf = (s: ReceivedSpan): ReceivedSpan => (s.parentSpanId && byId.has(s.parentSpanId) ? rootOf(byId.get(s.parentSpanId)!) : s);
      expect(spans.filter((s) => rootOf(s) !== server).map((s) => `${s.scope} ${s.name}`)).toEqual([]);

      // the request's log line names the trace and the server span
      await waitFor('the login’s request line', async () => requestLine(api, requestId) !== undefined, 5000);
      expect(requestLine(api, requestId)).toMatchObject({ route: '/api/v1/auth/login', trace_id: server!.traceId, span_id: server!.spanId });
    });

    it('no secret of a URL and no argument of a Redis command reaches the collector', async () => {
      const client = new Api(api.url);
      const email = uniqueEmail('secrets');
      const tokens = await client.account(email, PASSWORD);
      expect((await client.me(tokens.access_token)).status).toBe(200);
      const secret = randomBytes(16).toString('hex');
      const page = await client.send({ path: `/api/v1/auth/verify-email?token=${secret}` });
      expect(page.status).toBe(200);

      let pageSpans: ReceivedSpan[] = [];
      await waitFor('the verification page’s spans', async () => {
        const server = receiver.spans.find((s) => s.kind === SPAN_KIND.SERVER && s.attributes['http.route'] === '/api/v1/auth/verify-email');
        pageSpans = server ? receiver.spans.filter((s) => s.traceId === server.traceId) : [];
        return pageSpans.some((s) => s.scope === '@opentelemetry/instrumentation-nestjs-core');
      });
      // the URL is recorded (by the HTTP, Fastify and Nest spans), its token masked
      const urls = pageSpans.flatMap((s) => ['url.full', 'url.path', 'url.query'].map((k) => s.attributes[k])).filter((v) => typeof v === 'string');
      expect(urls).toEqual(expect.arrayContaining([expect.stringContaining('token=REDACTED')]));
      await waitFor('the spans of GET /auth/me', async () => receiver.spans.some((s) => s.attributes['http.route'] === '/api/v1/auth/me'));
      const everything = JSON.stringify(receiver.spans);
      expect(everything).not.toContain(secret);
      // Redis commands carry session state with the user's email as arguments: only the command is recorded
      expect(everything).not.toContain(email);
      expect(receiver.spans.filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis').map((s) => s.attributes['db.query.text'])).toContain('evalsha');
    });

    it('a caller’s W3C traceparent continues its trace', async () => {
      const traceId = randomBytes(16).toString('hex');
      const parent = randomBytes(8).toString('hex');
      const requestId = `traceparent-${randomBytes(4).toString('hex')}`;
      const res = await new Api(api.url).send({ path: '/api/v1/auth/me', headers: { traceparent: `00-${traceId}-${parent}-01`, 'X-Request-Id': requestId } });
      expect(res.status).toBe(401);
      await waitFor('the span of the call', async () => receiver.spans.some((s) => s.traceId === traceId && s.kind === SPAN_KIND.SERVER));
      expect(receiver.spans.find((s) => s.traceId === traceId && s.kind === SPAN_KIND.SERVER)).toMatchObject({
        name: 'GET /api/v1/auth/me',
        parentSpanId: parent,
      });
      await waitFor('its request line', async () => requestLine(api, requestId) !== undefined, 5000);
      expect(requestLine(api, requestId)).toMatchObject({ trace_id: traceId });
    });

    it('probes are not traced: GET /health answers without a span', async () => {
      const client = new Api(api.url);
      expect((await client.send({ path: '/health', headers: { 'X-Request-Id': 'probe-1' } })).status).toBe(200);
      const marker = `marker-${randomBytes(4).toString('hex')}`;
      expect((await client.send({ path: `/api/v1/${marker}` })).status).toBe(404);
      // the 404 after the probe is exported, so an export of the probe would have come by now
      await waitFor('the span of the request after the probe', async () => receiver.spans.some((s) => s.attributes['url.path'] === `/api/v1/${marker}`));
      expect(receiver.spans.filter((s) => /^\/health/.test(String(s.attributes['url.path'] ?? s.attributes['http.route'] ?? '')))).toEqual([]);
      expect(requestLine(api, 'probe-1')).toBeDefined();
      expect(requestLine(api, 'probe-1')!.trace_id).toBeUndefined();
    });
  });

  it('SIGTERM exports the spans still buffered before the process exits (OTLP/HTTP protobuf, the default protocol)', async () => {
    const modules = join(tmp, 'flush-modules.json');
    const service = `identity-api-flush-${randomBytes(4).toString('hex')}`;
    const api = await startApi({
      // a minute between exports: only the shutdown's flush can deliver the request's spans in time
      env: env({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000', OTEL_SERVICE_NAME: service, LOADED_MODULES_FILE: modules }),
      nodeArgs: PRELOAD,
    });
    const exported = () => receiver.protobuf.filter((body) => body.includes(service));
    expect((await new Api(api.url).send({ path: '/api/v1/auth/me' })).status).toBe(401);
    await sleep(500);
    expect(exported()).toEqual([]);

    expect(await api.terminate(20000)).toBe(0);
    // the request's server span, named for its route, in what the flush exported
    expect(exported().some((body) => body.includes('GET /api/v1/auth/me'))).toBe(true);
    expect(receiver.spans.filter((s) => s.service === service)).toEqual([]);
    // the report the last test relies on does see the SDK when it is there
    expect(loadedModules(modules).filter((m) => OTEL_MODULE.test(m.id) && !m.id.includes(API_PACKAGE)).length).toBeGreaterThan(0);
  });

  it('the worker starts the SDK, exports no trace per poll of its jobs, and still stops on SIGTERM', async () => {
    const modules = join(tmp, 'worker-modules.json');
    const command = tsNode('apps/worker/src/main.ts');
    const worker = spawn(process.execPath, [...PRELOAD, ...command.args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...command.env,
        ...baseTestEnv(),
        ...env({
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          // a poll of the outbox every 50 ms: queries outside any request or job span
          EMAIL_POLL_INTERVAL_MS: '50',
          LOADED_MODULES_FILE: modules,
        }),
      },
    });
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => worker.once('exit', (code, signal) => resolve(signal ?? code)));
    try {
      await waitFor('the worker’s start', async () => output.includes('Worker started') || worker.exitCode !== null, 30_000);
      expect({ exit: worker.exitCode, output: output.slice(-1500) }).toMatchObject({ exit: null });
      // some twenty polls, each exported within 100 ms if it were traced
      await sleep(1000);
      worker.kill('SIGUSR2');
      await waitFor('the worker’s module report', async () => existsSync(modules), 5000);
      worker.kill('SIGTERM');
      // Nest's shutdown hooks (the tracing flush among them), then the signal re-raised or a drained loop
      expect([0, 'SIGTERM']).toContain(await Promise.race([exited, sleep(15_000).then(() => 'still running')]));
    } finally {
      worker.kill('SIGKILL');
    }
    expect(receiver.spans.filter((s) => s.service === 'identity-worker')).toEqual([]);
    expect(loadedModules(modules).map((m) => m.id)).toEqual(expect.arrayContaining([expect.stringMatching(/[\\/]@opentelemetry[\\/]sdk-node[\\/]/)]));
  });

  it('without OTEL_EXPORTER_OTLP_ENDPOINT not one OpenTelemetry module is loaded, and log lines have no trace id', async () => {
    const modules = join(tmp, 'off-modules.json');
    const exportsBefore = receiver.spans.length + receiver.others.length;
    const api = await startApi({ env: env({ LOADED_MODULES_FILE: modules }), nodeArgs: PRELOAD });
    const client = new Api(api.url);
    const email = uniqueEmail('untraced');
    expect((await client.register(email, PASSWORD)).status).toBe(201);
    expect((await client.login(email, PASSWORD, { 'X-Request-Id': 'untraced-login' })).status).toBe(200);
    expect(await api.terminate(20000)).toBe(0);

    const loaded = loadedModules(modules);
    // the report is complete: the app's own stack is in it
    expect(loaded.some((m) => m.id.includes(join('node_modules', 'fastify', 'fastify.js')))).toBe(true);
    expect(loaded.some((m) => m.id.includes(join('node_modules', 'pg', 'lib')))).toBe(true);
    const otel = loaded.filter((m) => OTEL_MODULE.test(m.id));
    // no SDK, exporter or instrumentation
    expect(otel.filter((m) => !m.id.includes(API_PACKAGE)).map((m) => m.id)).toEqual([]);
    // prom-client's default metrics load the no-op API package (for exemplars) whatever we do; nothing of ours does
    expect(otel.filter((m) => !OTEL_MODULE.test(m.parent ?? '')).map((m) => m.parent)).toEqual([
      expect.stringMatching(/[\\/]node_modules[\\/]prom-client[\\/]/),
    ]);
    expect(requestLine(api, 'untraced-login')).toMatchObject({ route: '/api/v1/auth/login' });
    expect(requestLine(api, 'untraced-login')).not.toHaveProperty('trace_id');
    expect(receiver.spans.length + receiver.others.length).toBe(exportsBefore);
  });
});
