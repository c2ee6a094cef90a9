import Redis from 'ioredis';
import { TEST_REDIS_URL } from './env';
import { assertPostgresAnswers } from './postgres-ready';

/** Fails fast, with the command to run, when the machine's PostgreSQL or Redis is not answering. */
export default async function globalSetup(): Promise<void> {
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
