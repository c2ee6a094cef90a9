import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable, ordered access state (what an access token may do is cached in Redis; PostgreSQL is
 * the truth):
 *
 * - `users.version`, bumped by a trigger on every update: the cached copies of a user (role,
 *   status, profile) are written with a compare-and-set on it, so an older copy can never
 *   overwrite a newer one, whatever order concurrent writers reach Redis in.
 * - `access_changes`: a change log written by triggers in the transaction of every change an
 *   access token must honour — a session revoked; a user's role, status, password, email or
 *   profile changed; a user deleted — whoever makes it, so no code path can forget. The node that
 *   committed pushes the change to Redis at once; any node (or the worker) replays what is still
 *   logged half a second later and deletes it, so a change survives Redis being unreachable at
 *   commit time and the writing node dying right after.
 */
export class AccessState1764000000500 implements MigrationInterface {
  name = 'AccessState1764000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN version bigint NOT NULL DEFAULT 1`);
    await q.query(`
      CREATE FUNCTION users_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.version := OLD.version + 1;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER users_version BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION users_bump_version()`);

    await q.query(`
      CREATE TABLE access_changes (
        id bigserial PRIMARY KEY,
        user_id uuid NOT NULL,
        session_id uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE FUNCTION access_changes_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'sessions' THEN
          INSERT INTO access_changes (user_id, session_id) VALUES (NEW.user_id, NEW.id);
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO access_changes (user_id) VALUES (OLD.id);
        ELSE
          INSERT INTO access_changes (user_id) VALUES (NEW.id);
        END IF;
        RETURN NULL;
      END $$`);
    // last_signin_at and updated_at alone (every sign-in) are not logged: the version still moves
    await q.query(`
      CREATE TRIGGER users_access_changes AFTER UPDATE ON users FOR EACH ROW
      WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active
         OR OLD.password_hash IS DISTINCT FROM NEW.password_hash OR OLD.email IS DISTINCT FROM NEW.email
         OR OLD.name IS DISTINCT FROM NEW.name OR OLD.email_verified_at IS DISTINCT FROM NEW.email_verified_at)
      EXECUTE FUNCTION access_changes_log()`);
    await q.query(`CREATE TRIGGER users_deleted_access_changes AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION access_changes_log()`);
    await q.query(`
      CREATE TRIGGER sessions_access_changes AFTER UPDATE OF revoked_at ON sessions FOR EACH ROW
      WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
      EXECUTE FUNCTION access_changes_log()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER sessions_access_changes ON sessions`);
    await q.query(`DROP TRIGGER users_deleted_access_changes ON users`);
    await q.query(`DROP TRIGGER users_access_changes ON users`);
    await q.query(`DROP FUNCTION access_changes_log()`);
    await q.query(`DROP TABLE access_changes`);
    await q.query(`DROP TRIGGER users_version ON users`);
    await q.query(`DROP FUNCTION users_bump_version()`);
    await q.query(`ALTER TABLE users DROP COLUMN version`);
  }
}
