import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { API_DIST_MAIN, ROOT, runToExit, ServerProcess, startApi, tsNode } from '../../test/support/processes';
import { log } from './log';
import { pinned, SERVER_CORE } from './machine';
import { REDIS_URL, Services } from './services';

/** Production argon2id parameters: login's cost is the point of the login scenario. */
export const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Signs and checks the access tokens of the product and of the guarded ceiling alike. */
export interface Jwt {
  secret: string;
  keyEncryptionSecret: string;
  issuer: string;
  audience: string;
}

export function buildProduct(build: boolean): void {
  if (build) {
    log('• npm run build');
    const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 10 * 60 * 1000 });
    if (res.status !== 0) throw new Error(`npm run build failed:\n${res.stdout}\n${res.stderr}`);
  }
  if (!existsSync(API_DIST_MAIN)) throw new Error('dist/apps/api/apps/api/src/main.js is missing: run npm run build');
}

export function productEnv(services: Services, jwt: Jwt, healthToken: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: services.dbUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: services.keyPrefix,
    JWT_SECRET: jwt.secret,
    // the product's default (ES256) unless BENCH_JWT_ALGORITHM says otherwise (the algorithm trial sets it per start)
    JWT_ALGORITHM: process.env.BENCH_JWT_ALGORITHM ?? 'ES256',
    KEY_ENCRYPTION_SECRET: jwt.keyEncryptionSecret,
    JWT_ISSUER: jwt.issuer,
    JWT_AUDIENCE: jwt.audience,
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
    ARGON2_MEMORY_KIB: String(ARGON2.memoryCost),
    ARGON2_TIME_COST: String(ARGON2.timeCost),
    ARGON2_PARALLELISM: String(ARGON2.parallelism),
  };
}

/** The production build on the server's core; it logs straight into `logFile`. */
export function startProduct(env: Record<string, string>, logFile: string, profileDir?: string): Promise<ServerProcess> {
  return startApi({
    from: 'dist',
    bare: true,
    env: (url) => ({ HOME: process.env.HOME ?? '', ...env, PUBLIC_URL: url }),
    prefix: pinned(SERVER_CORE),
    nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    logFile,
    bootTimeoutMs: 60000,
  });
}

/** bench/ceiling-app.ts, pinned like the product: ceilings (a) and (b). */
/** The ceiling app; by default on Fastify, the adapter the product runs on, so the ratios compare like with like. */
export function startCeiling(jwt: Jwt, adapter: 'express' | 'fastify' = 'fastify'): Promise<ServerProcess> {
  return ServerProcess.start({
    name: `the ceiling app (${adapter})`,
    command: tsNode('bench/ceiling-app.ts'),
    env: () => ({ NODE_ENV: 'production', JWT_SECRET: jwt.secret, JWT_ISSUER: jwt.issuer, JWT_AUDIENCE: jwt.audience, ADAPTER: adapter }),
    readyPath: '/plain',
    prefix: pinned(SERVER_CORE),
    bootTimeoutMs: 60000,
  });
}

/** One run of bench/argon2-ceiling.ts (a fresh process pinned to the server's core): verifies per second. */
export async function argon2Ceiling(seconds: number): Promise<{ perSecond: number; concurrency: number }> {
  const command = tsNode('bench/argon2-ceiling.ts', '--warmup', '0', '--runs', '1', '--duration', String(seconds));
  // the whole environment: the ceiling reads ARGON2_* and UV_THREADPOOL_SIZE as the API would
  const run = await runToExit(command, { env: { ...process.env, ...command.env }, prefix: pinned(SERVER_CORE), timeoutMs: (seconds + 60) * 1000 });
  if (run.code !== 0) throw new Error(`argon2 ceiling exited with ${run.code}: ${run.stderr}`);
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as { perSecond: number[]; concurrency: number };
  return { perSecond: r.perSecond[0], concurrency: r.concurrency };
}

/** bench/express-trial.ts: the product's AppModule on the Express adapter (the adapter trial), pinned like the product. */
export function startExpressTrial(env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  return ServerProcess.start({
    name: 'the product on Express (trial)',
    command: tsNode('bench/express-trial.ts'),
    env: (url) => ({ HOME: process.env.HOME ?? '', ...env, PUBLIC_URL: url }),
    readyPath: '/health',
    prefix: pinned(SERVER_CORE),
    logFile,
    bootTimeoutMs: 60000,
  });
}
