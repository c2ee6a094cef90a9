import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes that keep every admin listing and the purge job an index range scan on large tables
 * (the keyset order is always (created_at DESC, id DESC)):
 *
 * - users(is_active, created_at, id): `GET /admin/users?is_active=` (with role too, the role
 *   index or this one, whichever the planner finds more selective, then a cheap filter);
 * - trigram GIN indexes on users.email and users.name for `q` (ILIKE '%x%'): a selective `q` is a
 *   bitmap of the few matching rows; an unselective one is the created_at index with a filter that
 *   stops at the first page. pg_trgm is a trusted extension (PostgreSQL >= 13: the database owner
 *   may create it) and PGlite ships it; where it cannot be created the trigram indexes are skipped
 *   and `q` falls back to that filtered created_at scan;
 * - sessions(created_at, id) WHERE revoked_at IS NULL: `GET /admin/sessions?active=true` and the
 *   active-sessions gauge (expires_at partial index below);
 * - sessions(revoked_at) WHERE revoked_at IS NOT NULL, one_time_tokens(used_at) WHERE used_at IS
 *   NOT NULL: the purge finds old rows without scanning (expires_at is indexed already);
 * - sessions(expires_at) WHERE revoked_at IS NULL: counting live sessions reads only live ones.
 */
export class AdminIndexes1764000000300 implements MigrationInterface {
  name = 'AdminIndexes1764000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX users_active_created_idx ON users (is_active, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX sessions_live_created_idx ON sessions (created_at DESC, id DESC) WHERE revoked_at IS NULL`);
    await q.query(`CREATE INDEX sessions_live_expires_idx ON sessions (expires_at) WHERE revoked_at IS NULL`);
    await q.query(`CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL`);
    await q.query(`CREATE INDEX one_time_tokens_used_idx ON one_time_tokens (used_at) WHERE used_at IS NOT NULL`);

    if (await trigramAvailable(q)) {
      await q.query(`CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops)`);
      await q.query(`CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS users_name_trgm_idx`);
    await q.query(`DROP INDEX IF EXISTS users_email_trgm_idx`);
    await q.query(`DROP INDEX IF EXISTS one_time_tokens_used_idx`);
    await q.query(`DROP INDEX IF EXISTS sessions_revoked_idx`);
    await q.query(`DROP INDEX IF EXISTS sessions_live_expires_idx`);
    await q.query(`DROP INDEX IF EXISTS sessions_live_created_idx`);
    await q.query(`DROP INDEX IF EXISTS users_active_created_idx`);
  }
}

/**
 * Creates pg_trgm when the server has it and we may create it. A failed CREATE EXTENSION must not
 * abort the migration's transaction, hence the savepoint.
 */
async function trigramAvailable(q: QueryRunner): Promise<boolean> {
  const available = await q.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'`);
  if (available.length === 0) return false;
  await q.query(`SAVEPOINT pg_trgm_setup`);
  try {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`RELEASE SAVEPOINT pg_trgm_setup`);
    return true;
  } catch {
    await q.query(`ROLLBACK TO SAVEPOINT pg_trgm_setup`);
    return false;
  }
}
