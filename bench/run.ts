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
 * self-time functions), --soak [--soak-minutes N] (mixed load, RSS growth; default 10 minutes),
 * --adapter-trial (also (a), (b) and /auth/me on Express against Fastify, alternating: issue 16),
 * --alg-trial (/auth/me signed with HS256, ES256 and EdDSA, alternating: issue 19).
 * Writes bench/results.json and prints a table.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Api } from '../test/support/http-client';
import { ROOT } from '../test/support/processes';
import { BenchContext, Extra } from './lib/context';
import { LOGIN_USERS, PASSWORD, seedAccounts, seedAdminVolume } from './lib/data';
import { log } from './lib/log';
import { allowedCpus, describeMachine, idleRss, pinned, reexecutePinned, SERVER_CORE } from './lib/machine';
import { Measured, Measurer } from './lib/measure';
import { BenchOptions, parseOptions } from './lib/options';
import { makeProfileDir, summariseProfiles } from './lib/profile';
import { printReport, Report, verdicts, writeReport } from './lib/report';
import { buildProduct, Jwt, productEnv, startProduct } from './lib/servers';
import { createServices, postgresVersion, releaseServices, Services } from './lib/services';
import { measureAdapterTrial } from './scenarios/adapter';
import { measureAlgorithmTrial } from './scenarios/algorithms';
import { measureAdminListings, wantsAdminListings } from './scenarios/admin';
import { measureArgon2Alone, measurePlainCeiling, withCeilingApp } from './scenarios/ceilings';
import { measureLogin } from './scenarios/login';
import { measureMe } from './scenarios/me';
import { measureRefresh } from './scenarios/refresh';
import { measureRegister } from './scenarios/register';
import { soak } from './scenarios/soak';

/** What one run sets up before the product starts; the scenarios' context is built on it. */
interface Setup {
  options: BenchOptions;
  services: Services;
  jwt: Jwt;
  healthToken: string;
  profileDir?: string;
  results: Record<string, Measured>;
  extra: Extra;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (reexecutePinned(options.argv)) return;

  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(
    `bench: ${options.quick ? 'quick' : 'full'} (${options.runs} × ${options.durationS} s, warm-up ${options.warmupS} s); load generator on CPUs ${allowedCpus()}, server on core ${pinned(SERVER_CORE).length ? SERVER_CORE : '(unpinned: no taskset or one core)'}`,
  );
  buildProduct(options.build);
  const setup: Setup = {
    options,
    profileDir: options.profile ? makeProfileDir() : undefined,
    services: await createServices(),
    jwt: {
      secret: randomBytes(48).toString('base64url'),
      keyEncryptionSecret: randomBytes(48).toString('base64url'),
      issuer: 'http://bench.local',
      audience: 'identity-api',
    },
    healthToken: randomBytes(24).toString('base64url'),
    results: {},
    extra: {},
  };
  try {
    await runOnProduct(setup);
  } finally {
    await releaseServices(setup.services, options.keep);
  }

  const report: Report = {
    date: startedAt.toISOString(),
    mode: options.quick ? 'quick' : 'full',
    runs: options.runs,
    durationS: options.durationS,
    warmupS: options.warmupS,
    machine: describeMachine(await postgresVersion(), loadBefore),
    pinning: { server: pinned(SERVER_CORE).length ? `core ${SERVER_CORE}` : 'none', load: allowedCpus() },
    results: setup.results,
    extra: setup.extra,
    targets: verdicts(setup.results, setup.extra, options.soakMinutes),
  };
  writeReport(report);
  printReport(report);
  if (setup.profileDir) for (const line of summariseProfiles(setup.profileDir)) log(line);
}

/** Starts the product, seeds its data, runs every scenario against it, stops it (its exit code is a result). */
async function runOnProduct(setup: Setup): Promise<void> {
  const { options, services, jwt, healthToken, results, extra } = setup;
  const logFile = join(ROOT, 'bench/server.log');
  writeFileSync(logFile, '');
  const product = await startProduct(productEnv(services, jwt, healthToken), logFile, setup.profileDir);
  try {
    log(`• API (production build) at ${product.url}, pid ${product.pid}; log in bench/server.log`);
    await seedAccounts(services.dbUrl);
    extra.volume = wantsAdminListings(options) ? await seedAdminVolume(services.dbUrl, options.quick) : 'not seeded';
    log(`• data: ${LOGIN_USERS} login users; ${extra.volume}`);
    const api = new Api(product.url);
    const me = await api.signIn('login1@bench.test', PASSWORD);
    const admin = await api.signIn('admin@bench.test', PASSWORD);
    const measurer = new Measurer(options, () => product.gone());
    const ctx: BenchContext = { options, measurer, product, api, jwt, healthToken, id: services.id, me, admin, results, extra };
    await runScenarios(ctx);
    if (options.argv.includes('--adapter-trial')) await measureAdapterTrial(ctx, productEnv(services, jwt, healthToken), join(ROOT, 'bench/express-trial.log'));
    if (options.argv.includes('--alg-trial')) await measureAlgorithmTrial(ctx, productEnv(services, jwt, healthToken));
  } finally {
    extra.serverExitCode = await product.terminate(20000);
  }
}

/** In the order of the results table; idle RSS after the /auth/me runs, and again after everything. */
async function runScenarios(ctx: BenchContext): Promise<void> {
  await withCeilingApp(ctx, async (ceiling) => {
    await measurePlainCeiling(ctx, ceiling);
    await measureMe(ctx, ceiling);
  });
  ctx.extra.idleRssMb = await idleRss(ctx.product.pid, ctx.options.quick);
  log(`• idle RSS after warm-up and the /auth/me runs: ${ctx.extra.idleRssMb} MB`);
  await measureRefresh(ctx);
  await measureLogin(ctx);
  await measureRegister(ctx);
  await measureAdminListings(ctx);
  await measureArgon2Alone(ctx);
  if (ctx.options.soak) ctx.extra.soak = await soak(ctx);
  ctx.extra.rssAfterRunsMb = await idleRss(ctx.product.pid, ctx.options.quick);
}

main().catch((err) => {
  // exiting kills every child still running (test/support/processes)
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
