import { Client } from 'pg';
import Redis from 'ioredis';
import { TEST_PG_ADMIN_URL, TEST_REDIS_URL } from './env';

/** Fails fast, with the command to run, when the machine's PostgreSQL or Redis is not answering. */
export default async function globalSetup(): Promise<void> {
  const pg = new Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not answering at ${TEST_PG_ADMIN_URL} (${(err as Error).message}); start it before npm test`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not answering at ${TEST_REDIS_URL} (${(err as Error).message}); start it before npm test`);
  } finally {
    redis.disconnect();
  }
}
