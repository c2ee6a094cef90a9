import { Client } from 'pg';
import { TEST_PG_ADMIN_URL } from './env';

/** Fails fast, with what to do, when the machine's PostgreSQL is not answering. */
export async function assertPostgresAnswers(): Promise<void> {
  const pg = new Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not answering at ${TEST_PG_ADMIN_URL} (${(err as Error).message}); start it before npm test`);
  } finally {
    await pg.end().catch(() => undefined);
  }
}

/** globalSetup of the int project: repository contract tests need PostgreSQL (and PGlite, in-process), not Redis. */
export default assertPostgresAnswers;
