import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS } from '@app/database';

/**
 * The embedded default (`npm start` with no DATABASE_URL / REDIS_URL): the real entry point in its
 * own process, PGlite in DATA_DIR, in-process store, a JWT secret generated once and kept.
 * Most suites run on the machine's PostgreSQL; this one proves the zero-dependency mode.
 */

const ROOT = join(__dirname, '..');
const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

interface RunningApi {
  child: ChildProcessWithoutNullStreams;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: RunningApi[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts apps/api/src/main.ts (ts-node + swc) with only the variables a developer would set. */
async function startApi(dataDir: string): Promise<RunningApi> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TS_NODE_TRANSPILE_ONLY: '1',
      TS_NODE_SWC: '1',
      NODE_ENV: 'development',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const api = { child, port, output: () => output, exited };
  started.push(api);
  return api;
}

function get(port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

/** Polls GET /health until 200; fails at once, with the process output, if the process exits. */
async function waitUntilHealthy(api: RunningApi): Promise<{ status: number; body: unknown }> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void api.exited.then((e) => (exit = e));
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`the API exited (${JSON.stringify(exit)}) before it was healthy:\n${api.output()}`);
    const res = await get(api.port, '/health').catch(() => undefined);
    if (res?.status === 200) return res;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the API was not healthy within ${BOOT_TIMEOUT_MS} ms:\n${api.output()}`);
}

async function stop(api: RunningApi): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  api.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${api.output()}`)), STOP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([api.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens the stopped API's PGlite data directly (one process at a time owns it). */
async function withDatabase<T>(dataDir: string, fn: (db: PGlite) => Promise<T>): Promise<T> {
  const db = new PGlite(join(dataDir, 'pg'));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const appliedMigrations = (db: PGlite) =>
  db.query<{ id: number; timestamp: string; name: string }>('SELECT id, timestamp::text, name FROM migrations ORDER BY id').then((r) => r.rows);

describe('Embedded mode: no DATABASE_URL, no REDIS_URL', () => {
  let dataDir: string;
  let first: RunningApi;
  let secret: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-embedded-'));
  });

  afterAll(async () => {
    for (const api of started) {
      if (api.child.exitCode === null && api.child.signalCode === null) {
        api.child.kill('SIGKILL');
        await api.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'boots on PGlite in DATA_DIR with a generated JWT secret and answers health',
    async () => {
      first = await startApi(dataDir);
      const health = await waitUntilHealthy(first);
      expect(health.body).toEqual({ status: 'healthy', environment: 'development', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      expect(await get(first.port, '/api/v1/health/ready')).toEqual({ status: 200, body: { status: 'ok' } });

      expect(first.output()).toContain('embedded mode');
      expect(statSync(join(dataDir, 'pg')).isDirectory()).toBe(true);
      secret = readFileSync(join(dataDir, 'jwt-secret'), 'utf8');
      expect(Buffer.byteLength(secret.trim())).toBeGreaterThanOrEqual(32);
      expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o077).toBe(0);
    },
    BOOT_TIMEOUT_MS + 10_000,
  );

  it('registers, signs in, rotates refresh tokens (grace and reuse included) and answers /auth/me on PGlite', async () => {
    expect(first).toBeDefined();
    const base = `http://127.0.0.1:${first.port}/api/v1`;
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
    };
    const credentials = { email: 'embedded@example.test', password: 'Correct-Horse-7' };
    expect((await post('/auth/register', credentials)).status).toBe(201);
    const signedIn = await post('/auth/login', credentials);
    expect(signedIn.status).toBe(200);

    const [a, b] = await Promise.all([post('/auth/refresh', { refresh_token: signedIn.body.refresh_token }), post('/auth/refresh', { refresh_token: signedIn.body.refresh_token })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.refresh_token).toBe(b.body.refresh_token);
    expect(a.body.user.email).toBe(credentials.email);
    const next = await post('/auth/refresh', { refresh_token: a.body.refresh_token });
    expect(next.status).toBe(200);

    const me = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${next.body.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(credentials.email);

    const reuse = await post('/auth/refresh', { refresh_token: signedIn.body.refresh_token });
    expect([reuse.status, reuse.body.code]).toEqual([401, 'refresh_token_reused']);
    const dead = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${next.body.access_token}` } });
    expect(dead.status).toBe(401);
  });

  it(
    'stops cleanly on SIGTERM',
    async () => {
      expect(first).toBeDefined();
      expect(await stop(first)).toEqual({ code: 0, signal: null });
    },
    STOP_TIMEOUT_MS + 5_000,
  );

  it(
    'keeps its data and secret across a restart and does not apply migrations twice',
    async () => {
      const before = await withDatabase(dataDir, async (db) => {
        const applied = await appliedMigrations(db);
        await db.exec(`CREATE TABLE e2e_marker (note text NOT NULL); INSERT INTO e2e_marker VALUES ('written between boots')`);
        return applied;
      });
      expect(before.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name ?? M.name));

      const second = await startApi(dataDir);
      await waitUntilHealthy(second);
      expect((await get(second.port, '/api/v1/health/ready')).status).toBe(200);
      expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(secret);
      expect(await stop(second)).toEqual({ code: 0, signal: null });

      await withDatabase(dataDir, async (db) => {
        expect(await appliedMigrations(db)).toEqual(before);
        expect((await db.query<{ note: string }>('SELECT note FROM e2e_marker')).rows).toEqual([{ note: 'written between boots' }]);
      });
    },
    2 * BOOT_TIMEOUT_MS + STOP_TIMEOUT_MS,
  );
});
