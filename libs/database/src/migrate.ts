import type { DataSource } from 'typeorm';

/** Any constant: the advisory lock that keeps two booting nodes from migrating at once. */
const MIGRATION_LOCK = 724_310_901;

/** Applies pending migrations, serialised across nodes by a PostgreSQL advisory lock. */
export async function runMigrationsLocked(ds: DataSource, embedded: boolean): Promise<void> {
  if (embedded) {
    await ds.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
