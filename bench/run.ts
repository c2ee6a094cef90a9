/**
 * `npm run bench`: the product measured against ceilings measured in the same run, so the results
 * are ratios that hold on a noisy machine. Not part of `npm test`.
 *
 * - the production build (`npm run build`, unless --no-build) runs with NODE_ENV=production on
 *   127.0.0.1, pinned to core 0 (`taskset -c 0`), against the machine's PostgreSQL (a fresh
 *   database idp_bench_*, dropped at the end unless --keep) and Redis (its own key prefix);
 * - this process (autocannon, the load) pins itself to core 1 (it re-executes itself under taskset);
 * - ceilings: (a) a bare Nest endpoint, (b) the same behind a minimal JWT guard (bench/ceiling-app.ts,
 *   also on core 0), (d) argon2id verifies/s on core 0 (bench/argon2-ceiling.ts);
 * - product: GET /auth/me, POST /auth/refresh (one fresh refresh token per request: each connection
 *   chains the token its previous refresh returned), POST /auth/login, POST /auth/register (unique
 *   emails), GET /admin/users and /admin/audit-logs on a seeded volume;
 * - warm-up, then RUNS × DURATION fixed-duration runs, median; every wait is bounded. The pairs
 *   whose ratio is a target ((b) and /auth/me, login and (d)) run alternately, round by round, and
 *   the ratio is the median of the per-round ratios: a slow spell of the (shared) machine then
 *   lands on both sides of a ratio instead of one.
 *
 * Flags: --quick (3 × 3 s), --runs N, --duration S, --keep (keep the database), --no-build,
 * --only name,name (scenarios by name), --profile (server under --cpu-prof; prints the top
 * self-time functions), --soak [--soak-minutes N] (mixed load, RSS growth; default 10 minutes).
 * Writes bench/results.json and prints a table.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import * as argon2 from 'argon2';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import * as jwt from 'jsonwebtoken';
import { Client } from 'pg';

const ROOT = join(__dirname, '..');
const SERVER_CORE = '0';
const LOAD_CORE = '1';
const PASSWORD = 'Correct-Horse-7';
const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

// ---------------------------------------------------------------------------------------------
// arguments

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('quick');
const RUNS = Number(option('runs') ?? 3);
const DURATION = Number(option('duration') ?? (QUICK ? 3 : 10));
const WARMUP = QUICK ? 2 : 5;
const KEEP = flag('keep');
const PROFILE = flag('profile');
const SOAK = flag('soak') || option('soak-minutes') !== undefined;
const SOAK_MINUTES = Number(option('soak-minutes') ?? 10);
const ONLY = option('only')?.split(',');
const wanted = (name: string) => !ONLY || ONLY.includes(name);

// ---------------------------------------------------------------------------------------------
// small helpers

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (n: number, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);
const log = (line: string) => process.stdout.write(`${line}\n`);
const hasTaskset = () => spawnSync('taskset', ['-V']).status === 0;
const pinned = (core: string) => (hasTaskset() && os.cpus().length >= 2 ? ['taskset', '-c', core] : []);

function allowedCpus(): string {
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] ?? '?';
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function http(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

async function waitForHttp(url: string, what: string, child: ChildProcess, timeoutMs = 60000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} while starting`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms`);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function pgQuery<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** every child this run started, killed on the way out whatever happens */
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function stopChild(child: ChildProcess | undefined, timeoutMs = 20000): Promise<number | null> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

// ---------------------------------------------------------------------------------------------
// load generation

interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  runs: number[];
  p99s: number[];
  non2xx: number;
  errors: number;
  connections: number;
  note?: string;
}

type Shape = Omit<autocannon.Options, 'url' | 'duration'>;

async function cannon(url: string, shape: Shape, seconds: number): Promise<autocannon.Result> {
  // autocannon takes the path of a single-request run from the URL
  const { path, ...rest } = shape;
  const target = path && !shape.requests ? `${url}${path}` : url;
  const instance = autocannon({ timeout: 30, ...rest, url: target, duration: seconds });
  // a hard bound on top of autocannon's own duration
  const guard = setTimeout(() => instance.stop(), (seconds + 40) * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(guard);
  }
}

type During = () => { stop: () => Promise<string | undefined> };

/** One scenario: HTTP load with autocannon, or (`perSecond`) a measurement of its own (argon2). */
interface Spec {
  name: string;
  url?: string;
  shape?: () => Shape;
  during?: During;
  /** one fixed-duration run of a non-HTTP ceiling: operations per second */
  perSecond?: (seconds: number) => Promise<{ perSecond: number; concurrency: number }>;
}

interface Run {
  rps: number;
  result?: autocannon.Result;
  concurrency?: number;
}

async function warmUp(spec: Spec): Promise<void> {
  if (spec.perSecond) await spec.perSecond(Math.min(WARMUP, 2));
  else await cannon(spec.url!, spec.shape!(), WARMUP);
}

async function runOnce(spec: Spec): Promise<Run & { note?: string }> {
  if (spec.perSecond) {
    const r = await spec.perSecond(DURATION);
    return { rps: r.perSecond, concurrency: r.concurrency };
  }
  const side = spec.during?.();
  const started = performance.now();
  const r = await cannon(spec.url!, spec.shape!(), DURATION);
  const elapsed = (performance.now() - started) / 1000;
  // completed requests per second of the run (not autocannon's per-second sample mean)
  return { rps: (r.requests.total ?? 0) / Math.max(elapsed, 0.001), result: r, note: await side?.stop() };
}

function summarise(spec: Spec, runs: (Run & { note?: string })[]): Measured {
  const http = runs.map((r) => r.result).filter((r): r is autocannon.Result => !!r);
  let note = runs.map((r) => r.note).filter(Boolean).pop();
  const errors = http.reduce((a, r) => a + r.errors, 0);
  const total = http.reduce((a, r) => a + (r.requests.total ?? 0), 0) + errors;
  const bad = http.reduce((a, r) => a + r.non2xx, 0) + errors;
  if (bad > total * 0.01) {
    const codes = http.flatMap((r) => Object.entries(r.statusCodeStats ?? {}).map(([c, v]) => `${c}×${v.count}`)).join(' ');
    note = `INVALID: ${round((bad / Math.max(1, total)) * 100)} % of the requests failed (${errors} connection errors; statuses ${codes || 'none'})${note ? `; ${note}` : ''}`;
  }
  const result: Measured = {
    name: spec.name,
    rps: round(median(runs.map((r) => r.rps))),
    p50: http.length ? round(median(http.map((r) => r.latency.p50)), 2) : NaN,
    p99: http.length ? round(median(http.map((r) => r.latency.p99)), 2) : NaN,
    runs: runs.map((r) => round(r.rps)),
    p99s: http.map((r) => round(r.latency.p99, 2)),
    non2xx: http.reduce((a, r) => a + r.non2xx, 0),
    errors,
    connections: spec.perSecond ? (runs[0]?.concurrency ?? 0) : (spec.shape!().connections ?? 10),
    note,
  };
  const latency = http.length ? `, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}` : `, concurrency ${result.connections}`;
  log(`  ${result.name}: ${result.rps} ${spec.perSecond ? 'per s' : 'req/s'} (runs ${result.runs.join(', ')})${latency}${note ? `; ${note}` : ''}`);
  return result;
}

/**
 * Warm-up of each, then RUNS rounds in which each scenario runs once, in turn; the median of each
 * scenario's runs. Scenarios whose ratio is a target run alternately like this, so a slow spell
 * of this (shared, noisy) machine hits both sides of the ratio, not one.
 */
async function measureAlternating(specs: Spec[]): Promise<Measured[]> {
  log(`• ${specs.map((s) => s.name).join(' ⇄ ')}: warm-up ${WARMUP} s each, then ${RUNS} rounds of ${DURATION} s${specs.length > 1 ? ' each, alternating' : ''}`);
  for (const spec of specs) await warmUp(spec);
  const runs = specs.map(() => [] as (Run & { note?: string })[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, spec] of specs.entries()) {
      runs[k].push(await runOnce(spec));
      if (serverGone()) throw new Error(`${serverGone()} during "${spec.name}": stopped from outside this run? (see bench/server.log)`);
    }
  }
  return specs.map((spec, k) => summarise(spec, runs[k]));
}

/** warm-up, then RUNS fixed-duration runs; the median of the runs */
async function measure(name: string, url: string, shape: () => Shape, during?: During): Promise<Measured> {
  return (await measureAlternating([{ name, url, shape, during }]))[0];
}

/** The median of the per-round ratios of two alternately measured scenarios. */
function pairedRatio(product: Measured | undefined, ceiling: Measured | undefined): number | undefined {
  if (!product || !ceiling || product.runs.length !== ceiling.runs.length) return undefined;
  return median(product.runs.map((x, i) => x / ceiling.runs[i]));
}

/** POST /auth/login for the bench's login users, round-robin (`next()` counts the requests). */
function loginRequest(next: () => number, loginUsers: number): autocannon.Request {
  return {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `login${1 + (next() % loginUsers)}@bench.test`, password: PASSWORD }) }),
  };
}

// ---------------------------------------------------------------------------------------------
// processes

/** set once the product server is started: says whether it has died */
let serverGone: () => string | undefined = () => undefined;

interface Server {
  child: ChildProcess;
  url: string;
  pid: number;
}

async function startProduct(env: Record<string, string>, logFile: string): Promise<Server> {
  const port = await freePort();
  const main = join(ROOT, 'dist/apps/api/apps/api/src/main.js');
  const nodeArgs = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const cmd = [...pinned(SERVER_CORE), process.execPath, ...nodeArgs, main];
  // the server logs straight into the file (not through a pipe this busy process would have to drain)
  const out = openSync(logFile, 'a');
  const child = track(
    spawn(cmd[0], cmd.slice(1), {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
      stdio: ['ignore', out, out],
    }),
  );
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, 'the API', child);
  return { child, url, pid: child.pid! };
}

async function startCeiling(secret: string, issuer: string, audience: string): Promise<Server> {
  const port = await freePort();
  const cmd = [...pinned(SERVER_CORE), process.execPath, '-r', 'ts-node/register', 'bench/ceiling-app.ts'];
  const child = track(
    spawn(cmd[0], cmd.slice(1), {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_SWC: '1', PORT: String(port), JWT_SECRET: secret, JWT_ISSUER: issuer, JWT_AUDIENCE: audience },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/plain`, 'the ceiling app', child);
  return { child, url, pid: child.pid! };
}

/** One run of bench/argon2-ceiling.ts (a fresh process pinned to the server's core): verifies per second. */
function argon2Ceiling(seconds: number): Promise<{ perSecond: number; concurrency: number }> {
  const cmd = [...pinned(SERVER_CORE), process.execPath, '-r', 'ts-node/register', 'bench/argon2-ceiling.ts', '--warmup', '0', '--runs', '1', '--duration', String(seconds)];
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd[0], cmd.slice(1), { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_SWC: '1' }, stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`argon2 ceiling exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop()!) as { perSecond: number[]; concurrency: number };
      resolve({ perSecond: r.perSecond[0], concurrency: r.concurrency });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// data

/** A modest admin-list volume with set-based SQL (used when bench/seed.ts is not there). */
async function seedVolume(dbUrl: string): Promise<string> {
  const users = QUICK ? 20000 : 50000;
  const events = QUICK ? 100000 : 200000;
  await pgQuery(
    dbUrl,
    `INSERT INTO users (email, password_hash, name, role, email_verified_at, created_at, updated_at)
     SELECT 'seed' || g || '@example.com', NULL, 'Seed User ' || g,
            CASE WHEN g % 100 = 0 THEN 'guest' ELSE 'user' END,
            CASE WHEN g % 3 = 0 THEN NULL ELSE now() END,
            now() - make_interval(secs => g), now() - make_interval(secs => g)
       FROM generate_series(1, $1::int) g`,
    [users],
  );
  await pgQuery(
    dbUrl,
    `INSERT INTO audit_events (event, outcome, actor_id, target_user_id, ip, user_agent, metadata, created_at)
     SELECT (ARRAY['auth.login','user.registered','session.revoked','auth.logout','password.changed'])[1 + g % 5],
            CASE WHEN g % 7 = 0 THEN 'failure' ELSE 'success' END,
            gen_random_uuid(), gen_random_uuid(), '10.0.' || (g % 250) || '.' || (g % 200), 'bench/1.0',
            jsonb_build_object('method', 'password'), now() - make_interval(secs => g)
       FROM generate_series(1, $1::int) g`,
    [events],
  );
  await pgQuery(dbUrl, 'ANALYZE');
  return `seeded by bench/run.ts (bench/seed.ts absent): ${users} users, ${events} audit events`;
}

/** The other developer's seeder, when present: run it against our database. */
async function seedWithScript(dbUrl: string): Promise<string | undefined> {
  const script = join(ROOT, 'bench/seed.ts');
  if (!existsSync(script)) return undefined;
  const args = ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', script, ...(QUICK ? ['--quick'] : [])];
  const res = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_SWC: '1', DATABASE_URL: dbUrl, SEED_DATABASE_URL: dbUrl },
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  if (res.status !== 0) {
    log(`  bench/seed.ts failed (${res.status}): ${(res.stderr || res.stdout).slice(-500)}; seeding with SQL instead`);
    return undefined;
  }
  const counts = await pgQuery<{ users: number; events: number }>(dbUrl, `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM audit_events) AS events`);
  return `seeded by bench/seed.ts: ${counts[0].users} users, ${counts[0].events} audit events`;
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

function summariseProfiles(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  if (!files.length) return ['(no profile written)'];
  const latest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const profile = JSON.parse(readFileSync(latest, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length) / 1000; // ms
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits || n.callFrame.functionName === '(idle)') continue;
    total += hits;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(ROOT, '.');
    byFn.set(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`, (byFn.get(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`) ?? 0) + hits);
    const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith('./dist') ? 'product (dist)' : where.startsWith('node:') ? where.split('/')[0] : functionName.startsWith('(') ? functionName : where || '(native)');
    byModule.set(mod, (byModule.get(mod) ?? 0) + hits);
  }
  const pct = (h: number) => `${((h / total) * 100).toFixed(1)}%`;
  const lines = [`profile ${latest}: ${total} busy samples of ${interval.toFixed(2)} ms (idle left out)`, 'top self time by function:'];
  for (const [k, h] of [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${pct(h).padStart(6)}  ${k}`);
  lines.push('self time by package:');
  for (const [k, h] of [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(h).padStart(6)}  ${k}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// the run

const profileDir = join(os.tmpdir(), `idp-bench-profiles-${process.pid}`);

async function main(): Promise<void> {
  // the load runs on the other core than the server: re-execute under taskset once
  if (process.env.BENCH_PINNED !== '1' && pinned(LOAD_CORE).length) {
    const child = spawn('taskset', ['-c', LOAD_CORE, process.execPath, ...process.execArgv, process.argv[1], ...argv], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_PINNED: '1' },
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
    child.once('exit', (code) => process.exit(code ?? 1));
    return;
  }

  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`bench: ${QUICK ? 'quick' : 'full'} (${RUNS} × ${DURATION} s, warm-up ${WARMUP} s); load generator on CPUs ${allowedCpus()}, server on core ${pinned(SERVER_CORE).length ? SERVER_CORE : '(unpinned: no taskset or one core)'}`);

  if (!flag('no-build')) {
    log('• npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 10 * 60 * 1000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
  if (!existsSync(join(ROOT, 'dist/apps/api/apps/api/src/main.js'))) throw new Error('dist/apps/api/apps/api/src/main.js is missing: run npm run build');
  if (PROFILE) mkdirSync(profileDir, { recursive: true });

  const id = randomBytes(4).toString('hex');
  const dbName = `idp_bench_${id}`;
  const keyPrefix = `bench:${id}:`;
  await pgQuery(PG_ADMIN_URL, `CREATE DATABASE ${dbName}`);
  const dbUrlObj = new URL(PG_ADMIN_URL);
  dbUrlObj.pathname = `/${dbName}`;
  const dbUrl = dbUrlObj.toString();
  const secret = randomBytes(48).toString('base64url');
  const healthToken = randomBytes(24).toString('base64url');
  const issuer = 'http://bench.local';
  const audience = 'identity-api';
  const argon = { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' };
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    JWT_SECRET: secret,
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: audience,
    JWT_ACCESS_TTL: '86400',
    HEALTH_TOKEN: healthToken,
    // the bench measures cost, not the limits: throttles out of the way
    THROTTLE_TTL: '1',
    THROTTLE_LIMIT: '1000000',
    THROTTLE_LOGIN_LIMIT: '1000000',
    THROTTLE_REGISTER_LIMIT: '1000000',
    THROTTLE_REFRESH_LIMIT: '1000000',
    THROTTLE_EMAIL_LIMIT: '1000000',
    // mail is the worker's job in a production topology; the API only writes the outbox
    EMAIL_DELIVERY_IN_API: 'false',
    ...argon,
  };
  const logFile = join(ROOT, 'bench/server.log');
  writeFileSync(logFile, '');

  let product: Server | undefined;
  let ceiling: Server | undefined;
  const results: Record<string, Measured> = {};
  const extra: Record<string, unknown> = {};
  try {
    product = await startProduct(env, logFile);
    const watched = product.child;
    serverGone = () => (watched.exitCode !== null || watched.signalCode !== null ? `the API exited (code ${watched.exitCode}, signal ${watched.signalCode})` : undefined);
    log(`• API (production build) at ${product.url}, pid ${product.pid}; log in bench/server.log`);

    // --- data: login users share one hash made with the production parameters
    const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const loginUsers = 256;
    await pgQuery(
      dbUrl,
      `INSERT INTO users (email, password_hash, name, role, email_verified_at, created_at, updated_at)
       SELECT 'login' || g || '@bench.test', $1, 'Login ' || g, 'user', now(), now(), now() FROM generate_series(1, $2::int) g`,
      [hash, loginUsers],
    );
    await pgQuery(dbUrl, `INSERT INTO users (email, password_hash, name, role, email_verified_at) VALUES ('admin@bench.test', $1, 'Bench Admin', 'admin', now())`, [hash]);
    const volume = wanted('admin-users') || wanted('admin-audit-logs') || wanted('admin-users-search') ? ((await seedWithScript(dbUrl)) ?? (await seedVolume(dbUrl))) : 'not seeded';
    log(`• data: ${loginUsers} login users; ${volume}`);
    extra.volume = volume;

    const signIn = async (email: string) => {
      const r = await http(product!.url, 'POST', '/api/v1/auth/login', { email, password: PASSWORD });
      if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { access_token: string; refresh_token: string };
    };
    const me = await signIn('login1@bench.test');
    const admin = await signIn('admin@bench.test');

    // --- (a), (b): ceilings
    ceiling = await startCeiling(secret, issuer, audience);
    const ceilingToken = jwt.sign({ sub: 'u', sid: 's', role: 'user', typ: 'access' }, secret, { algorithm: 'HS256', issuer, audience, expiresIn: 86400 });
    if (wanted('ceiling-plain')) results['ceiling-plain'] = await measure('(a) bare Nest GET /plain', ceiling.url, () => ({ connections: 16, path: '/plain' }));
    // (b) and /auth/me alternate (their ratio is the target); the idle one of the two servers costs nothing
    const guardedSpec: Spec = { name: '(b) Nest + JWT guard GET /guarded', url: ceiling.url, shape: () => ({ connections: 16, path: '/guarded', headers: { authorization: `Bearer ${ceilingToken}` } }) };
    const meSpec: Spec = { name: '(c) GET /api/v1/auth/me', url: product.url, shape: () => ({ connections: 16, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${me.access_token}` } }) };
    const pair = [wanted('ceiling-guarded') && guardedSpec, wanted('me') && meSpec].filter((x): x is Spec => !!x);
    if (pair.length) {
      const measured = await measureAlternating(pair);
      for (const [k, spec] of pair.entries()) results[spec === meSpec ? 'me' : 'ceiling-guarded'] = measured[k];
    }
    extra.ceilingRssMb = round(rssMb(ceiling.pid));
    await stopChild(ceiling.child);
    ceiling = undefined;

    extra.idleRssMb = await idleRss(product.pid);
    log(`• idle RSS after warm-up and the /auth/me runs: ${extra.idleRssMb} MB`);

    if (wanted('refresh')) {
      const connections = 16;
      const chains: string[] = [];
      const spares: string[] = [];
      for (let i = 0; i < connections * 2; i++) (i < connections ? chains : spares).push((await signIn(`login${2 + i}@bench.test`)).refresh_token);
      let broken = 0;
      results.refresh = await measure('(c) POST /api/v1/auth/refresh (token chained per connection)', product.url, () => {
        let next = 0;
        return {
          connections,
          setupClient: (client) => {
            const slot = next++ % chains.length;
            client.setRequests([
              {
                method: 'POST',
                path: '/api/v1/auth/refresh',
                headers: { 'content-type': 'application/json' },
                setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: chains[slot] }) }),
                onResponse: (status, body) => {
                  if (status === 200) chains[slot] = JSON.parse(String(body)).refresh_token;
                  else {
                    broken++;
                    chains[slot] = spares.shift() ?? chains[slot];
                  }
                },
              },
            ]);
          },
        };
      });
      results.refresh.note = `${broken} broken chains`;
    }

    const argon2Spec: Spec = { name: '(d) argon2id verify (19456 KiB, t=2, p=1), server idle', perSecond: argon2Ceiling };

    if (wanted('login')) {
      let n = 0;
      const lagSamples: number[] = [];
      const probeP99s: number[] = [];
      const during = () => {
        // while logins flood: the event loop's p99 lag (detailed health) and a slow /auth/me probe
        let polling = true;
        const poller = (async () => {
          while (polling) {
            const h = await http(product!.url, 'GET', '/api/v1/health/detailed', undefined, { authorization: `Bearer ${healthToken}` }).catch(() => undefined);
            const lag = h?.body?.checks?.event_loop?.lag_ms;
            if (typeof lag === 'number') lagSamples.push(lag);
            await sleep(1000);
          }
        })();
        const probe = cannon(product!.url, { connections: 1, overallRate: 10, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${me.access_token}` } }, DURATION);
        return {
          stop: async () => {
            const p = await probe;
            probeP99s.push(p.latency.p99);
            polling = false;
            await poller;
            return undefined;
          },
        };
      };
      // login and (d) alternate: their ratio is the target
      const [login, argon] = await measureAlternating([
        {
          name: '(c) POST /api/v1/auth/login (256 users round-robin)',
          url: product.url,
          shape: () => ({
            connections: 8,
            requests: [
              loginRequest(() => n++, loginUsers),
            ],
          }),
          during,
        },
        argon2Spec,
      ]);
      results.login = login;
      results.argon2 = argon;
      extra.loginEventLoopLagP99Ms = lagSamples.length ? round(Math.max(...lagSamples), 1) : null;
      extra.loginEventLoopLagSamples = lagSamples;
      extra.loginProbeMeP99Ms = round(median(probeP99s), 1);
      results.login.note = `event-loop p99 lag ${extra.loginEventLoopLagP99Ms ?? 'n/a'} ms (max of /health/detailed samples); /auth/me probe at 10 req/s p99 ${extra.loginProbeMeP99Ms} ms`;
      log(`  ${results.login.note}`);
    }

    if (wanted('register')) {
      let n = 0;
      results.register = await measure('(c) POST /api/v1/auth/register (unique emails)', product.url, () => ({
        connections: 8,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/auth/register',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `reg-${id}-${n++}@bench.test`, password: PASSWORD }) }),
          },
        ],
      }));
    }

    const adminHeaders = { authorization: `Bearer ${admin.access_token}` };
    if (wanted('admin-users')) results['admin-users'] = await measure('(c) GET /api/v1/admin/users?limit=20', product.url, () => ({ connections: 4, path: '/api/v1/admin/users?limit=20', headers: adminHeaders }));
    if (wanted('admin-audit-logs')) results['admin-audit-logs'] = await measure('(c) GET /api/v1/admin/audit-logs?limit=20', product.url, () => ({ connections: 4, path: '/api/v1/admin/audit-logs?limit=20', headers: adminHeaders }));
    if (wanted('admin-users-search')) results['admin-users-search'] = await measure('(c) GET /api/v1/admin/users?q=user 4&limit=20 (info)', product.url, () => ({ connections: 4, path: '/api/v1/admin/users?q=user%204&limit=20', headers: adminHeaders }));

    // --- (d) alone, when asked for without login
    if (wanted('argon2') && !results.argon2) results.argon2 = (await measureAlternating([argon2Spec]))[0];

    if (SOAK) extra.soak = await soak(product, me.access_token, admin.access_token, loginUsers, healthToken);

    extra.rssAfterRunsMb = await idleRss(product.pid);
  } finally {
    serverGone = () => undefined;
    await stopChild(ceiling?.child);
    const exitCode = await stopChild(product?.child);
    if (product) extra.serverExitCode = exitCode;
    if (!KEEP) await pgQuery(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e) => log(`could not drop ${dbName}: ${e.message}`));
    else log(`• kept database ${dbName}`);
    await deleteKeys(keyPrefix).catch((e) => log(`could not delete Redis keys ${keyPrefix}*: ${e.message}`));
  }

  // --- verdicts
  const r = results;
  const lag = (extra.loginEventLoopLagP99Ms as number | null) ?? (extra.loginProbeMeP99Ms as number);
  const targets = [
    target('/auth/me ≥ 60 % of (b)', pairedRatio(r.me, r['ceiling-guarded']), (v) => v >= 0.6, (v) => `${round(v * 100)} % (median of the per-round ratios; medians ${r.me?.rps} / ${r['ceiling-guarded']?.rps} req/s)`),
    target('login ≥ 90 % of (d)', pairedRatio(r.login, r.argon2), (v) => v >= 0.9, (v) => `${round(v * 100)} % (median of the per-round ratios; medians ${r.login?.rps} / ${r.argon2?.rps} per s)`),
    target('event-loop p99 lag < 50 ms during the login flood', r.login ? lag : undefined, (v) => v < 50, (v) => `${v} ms (${extra.loginEventLoopLagP99Ms != null ? '/health/detailed event_loop.lag_ms' : '/auth/me probe p99 as proxy'})`),
    target('refresh ≥ 1,000 req/s on one core', r.refresh?.rps, (v) => v >= 1000, (v) => `${v} req/s`),
    target('admin users p99 < 20 ms', r['admin-users']?.p99, (v) => v < 20, (v) => `${v} ms (${extra.volume})`),
    target('admin audit-logs p99 < 20 ms', r['admin-audit-logs']?.p99, (v) => v < 20, (v) => `${v} ms`),
    target('idle RSS < 150 MB', extra.idleRssMb as number | undefined, (v) => v < 150, (v) => `${v} MB`),
    target('RSS growth ≤ 5 % over the mixed soak', (extra.soak as { growthPct?: number } | undefined)?.growthPct, (v) => v <= 5, (v) => `${v} % over ${SOAK_MINUTES} min (median of the 2nd vs the last minute)`),
  ];

  const machine = {
    cpu: os.cpus()[0]?.model ?? '?',
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 1024 ** 3),
    kernel: os.release(),
    node: process.version,
    postgres: (await pgQuery<{ server_version: string }>(PG_ADMIN_URL, 'SHOW server_version').catch(() => [{ server_version: '?' }]))[0].server_version,
    loadAvgBefore: loadBefore.map((x) => round(x, 2)),
    loadAvgAfter: os.loadavg().map((x) => round(x, 2)),
  };
  const output = {
    date: startedAt.toISOString(),
    mode: QUICK ? 'quick' : 'full',
    runs: RUNS,
    durationS: DURATION,
    warmupS: WARMUP,
    machine,
    pinning: { server: pinned(SERVER_CORE).length ? `core ${SERVER_CORE}` : 'none', load: allowedCpus() },
    results,
    extra,
    targets,
  };
  writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(output, null, 2)}\n`);

  log('');
  log(`${'scenario'.padEnd(58)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'non2xx'.padStart(7)} ${'conns'.padStart(5)}`);
  for (const m of Object.values(results)) {
    log(`${m.name.slice(0, 58).padEnd(58)} ${String(m.rps).padStart(9)} ${String(Number.isNaN(m.p50) ? '-' : m.p50).padStart(8)} ${String(Number.isNaN(m.p99) ? '-' : m.p99).padStart(8)} ${String(m.non2xx).padStart(7)} ${String(m.connections).padStart(5)}`);
  }
  log('');
  for (const t of targets) log(`${t.verdict.padEnd(8)} ${t.name.padEnd(50)} ${t.shown}`);
  log('');
  log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}; load average ${machine.loadAvgBefore.join('/')} → ${machine.loadAvgAfter.join('/')}`);
  log(`idle RSS ${extra.idleRssMb} MB; idle after all runs (login floods included) ${extra.rssAfterRunsMb} MB; server exit code ${extra.serverExitCode}`);
  log('results written to bench/results.json');
  if (PROFILE) for (const line of summariseProfiles(profileDir)) log(line);
}

/**
 * RSS of the server once idle: V8 hands memory back only after its memory reducer has seen the
 * process quiet for a while (about 30 s here), so read VmRSS after 30 s (quick) / 45 s of idling.
 */
async function idleRss(pid: number): Promise<number> {
  await sleep(QUICK ? 30000 : 45000);
  return round(rssMb(pid));
}

function target(name: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string) {
  if (value === undefined || Number.isNaN(value)) return { name, value: null, verdict: 'NOT RUN', shown: '' };
  return { name, value: round(value, 3), verdict: ok(value) ? 'PASS' : 'FAIL', shown: show(round(value, 3)) };
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0' && ++rounds < 100000);
  } finally {
    redis.disconnect();
  }
}

/**
 * Mixed load for SOAK_MINUTES. Every 5 s: the server's RSS (/proc) and V8 heap used
 * (/health/detailed). One RSS sample swings by ±10 % with the phase of V8's garbage collection,
 * more than the growth being measured, so growth compares window medians: the second minute of
 * load (after warm-up) against the last minute of load. Also reported: the same from single
 * samples (first sample after one minute → 5 s after the load), and the lowest heap used in each
 * window (what survives collection: it keeps rising when something leaks).
 */
async function soak(product: Server, meToken: string, adminToken: string, loginUsers: number, healthToken: string) {
  const seconds = Math.max(120, Math.round(SOAK_MINUTES * 60));
  log(`• soak: ${round(seconds / 60)} min of mixed load (me, refresh, login, register, admin list)`);
  const samples: { t: number; rssMb: number; heapMb?: number }[] = [];
  const started = Date.now();
  const sample = async () => {
    const t = Math.round((Date.now() - started) / 1000);
    const rss = round(rssMb(product.pid));
    const h = await http(product.url, 'GET', '/api/v1/health/detailed', undefined, { authorization: `Bearer ${healthToken}` }).catch(() => undefined);
    const heap = h?.body?.checks?.memory?.heap_used_mb;
    samples.push({ t, rssMb: rss, ...(typeof heap === 'number' ? { heapMb: heap } : {}) });
  };
  const sampler = setInterval(() => void sample(), 5000);
  let n = 0;
  let chain = (await http(product.url, 'POST', '/api/v1/auth/login', { email: 'login3@bench.test', password: PASSWORD })).body.refresh_token as string;
  let streams: autocannon.Result[] = [];
  try {
    streams = await Promise.all([
      cannon(product.url, { connections: 4, overallRate: 400, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${meToken}` } }, seconds),
      cannon(
        product.url,
        {
          connections: 1,
          overallRate: 100,
          requests: [
            {
              method: 'POST',
              path: '/api/v1/auth/refresh',
              headers: { 'content-type': 'application/json' },
              setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: chain }) }),
              onResponse: (status, body) => {
                if (status === 200) chain = JSON.parse(String(body)).refresh_token;
              },
            },
          ],
        },
        seconds,
      ),
      cannon(
        product.url,
        {
          connections: 2,
          overallRate: 5,
          requests: [
            loginRequest(() => n++, loginUsers),
          ],
        },
        seconds,
      ),
      cannon(
        product.url,
        {
          connections: 1,
          overallRate: 2,
          requests: [
            {
              method: 'POST',
              path: '/api/v1/auth/register',
              headers: { 'content-type': 'application/json' },
              setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `soak-${Date.now()}-${n++}@bench.test`, password: PASSWORD }) }),
            },
          ],
        },
        seconds,
      ),
      cannon(product.url, { connections: 1, overallRate: 20, path: '/api/v1/admin/users?limit=20', headers: { authorization: `Bearer ${adminToken}` } }, seconds),
    ]);
  } finally {
    clearInterval(sampler);
  }
  await sleep(5000);
  const after = round(rssMb(product.pid));
  const inWindow = (from: number, to: number) => samples.filter((x) => x.t >= from && x.t < to);
  const first = inWindow(60, 120);
  const last = inWindow(seconds - 60, seconds + 1);
  const baselineMb = round(median(first.map((x) => x.rssMb)));
  const endMb = round(median(last.map((x) => x.rssMb)));
  const growthPct = round(((endMb - baselineMb) / baselineMb) * 100, 1);
  const pointBaseline = first[0]?.rssMb ?? samples[0]?.rssMb ?? after;
  const pointGrowthPct = round(((after - pointBaseline) / pointBaseline) * 100, 1);
  const heapFloor = (xs: typeof samples) => {
    const heaps = xs.map((x) => x.heapMb).filter((x): x is number => typeof x === 'number');
    return heaps.length ? round(Math.min(...heaps)) : null;
  };
  const heapFloorFirstMb = heapFloor(first);
  const heapFloorLastMb = heapFloor(last);
  const requests = streams.reduce((a, r) => a + (r.requests.total ?? 0), 0);
  const failed = streams.reduce((a, r) => a + r.non2xx + r.errors, 0);
  log(
    `  RSS median ${baselineMb} MB in the 2nd minute → ${endMb} MB in the last minute (${growthPct} %); single samples ${pointBaseline} → ${after} MB (${pointGrowthPct} %); ` +
      `heap floor ${heapFloorFirstMb} → ${heapFloorLastMb} MB; peak RSS ${Math.max(...samples.map((x) => x.rssMb))} MB; ${requests} requests, ${failed} not 2xx`,
  );
  return { minutes: round(seconds / 60), baselineMb, endMb, growthPct, pointBaselineMb: pointBaseline, pointEndMb: after, pointGrowthPct, heapFloorFirstMb, heapFloorLastMb, requests, failed, samples };
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
