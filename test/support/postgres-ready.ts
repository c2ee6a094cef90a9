import { Client } from 'pg';
import { TEST_PG_ADMIN_URL } from './env';

/** Fails fast, with what to do, when the machine's PostgreSQL is not answering. */
export async function assertPostgresAnswers(): Promise<void> {
  const pg = new Client({ connectionString: TEST_PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not answering at ${TEST_PG_ADMIN_URL} (${(err as Error).message}); start it before npm test`, { cause: err });
  } finally {
    await pg.end().catch(() => undefined);
  }
}

/**
 * globalSetup of the int project: repository contract tests need PostgreSQL, and PGlite in-process
 * (not Redis). PGlite loads its parts with import(), which jest's vm only allows under
 * --experimental-vm-modules; without it the first PGlite suite kills the whole run with an
 * uncaught ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG, so say so up front.
 */
export default async function intGlobalSetup(): Promise<void> {
  const flag = '--experimental-vm-modules';
  if (!process.execArgv.includes(flag) && !(process.env.NODE_OPTIONS ?? '').includes(flag)) {
    throw new Error(`The int tier runs PGlite, which needs NODE_OPTIONS=${flag}: run npm run test:int (or npm test)`);
  }
  await assertPostgresAnswers();
}
