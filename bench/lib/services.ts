import { randomBytes } from 'node:crypto';
import { deleteRedisPrefix, query } from '../../test/support/database';
import { log } from './log';

/** The machine's PostgreSQL and Redis, as the test suites use them unless BENCH_* says otherwise. */
export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** This run's share of the services: a fresh database and a Redis key prefix, both named by `id`. */
export interface Services {
  id: string;
  dbName: string;
  dbUrl: string;
  keyPrefix: string;
}

export async function createServices(): Promise<Services> {
  const id = randomBytes(4).toString('hex');
  const dbName = `idp_bench_${id}`;
  await query(PG_ADMIN_URL, `CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  return { id, dbName, dbUrl: dbUrl.toString(), keyPrefix: `bench:${id}:` };
}

/** Drops the database (unless `keep`) and deletes the keys; says what it could not do instead of failing. */
export async function releaseServices(services: Services, keep: boolean): Promise<void> {
  const { dbName, keyPrefix } = services;
  if (!keep) await query(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e) => log(`could not drop ${dbName}: ${e.message}`));
  else log(`• kept database ${dbName}`);
  await deleteRedisPrefix(REDIS_URL, keyPrefix).catch((e) => log(`could not delete Redis keys ${keyPrefix}*: ${e.message}`));
}

export async function postgresVersion(): Promise<string> {
  const rows = await query<{ server_version: string }>(PG_ADMIN_URL, 'SHOW server_version').catch(() => [{ server_version: '?' }]);
  return rows[0].server_version;
}
