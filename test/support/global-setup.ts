import Redis from 'ioredis';
import { TEST_REDIS_URL } from './env';
import { ensureConsoleBuilt } from './console-build';
import { assertPostgresAnswers } from './postgres-ready';

/**
 * Fails fast, with the command to run, when the machine's PostgreSQL or Redis is not answering;
 * builds the admin console when its build is missing or older than its sources.
 */
export default async function globalSetup(): Promise<void> {
  ensureConsoleBuilt();
  await assertPostgresAnswers();
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not answering at ${TEST_REDIS_URL} (${(err as Error).message}); start it before npm test`, { cause: err });
  } finally {
    redis.disconnect();
  }
}
