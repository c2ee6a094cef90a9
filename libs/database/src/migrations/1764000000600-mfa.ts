import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second factors and passkeys (API.md v1.2):
 *
 * - `users.mfa_enabled`: true while the user has an active TOTP or a passkey; kept by the mfa lib
 *   in the unit of work that changes a factor (under the user's row lock), part of the cached
 *   profile, so the access-state log trigger now fires on it too;
 * - `sessions.auth_time` (when the session last proved who its user is: sign-in, then every
 *   reauthentication) and `sessions.amr` (the methods of that proof); `auth_method` gains `passkey`;
 * - `mfa_totp`: one row per user, the active secret and a pending one (sealed, AES-GCM), and the
 *   last accepted time step: a code is accepted once (`last_used_step` only moves forward);
 * - `mfa_recovery_codes`: SHA-256 of (user id, code), single use (`used_at`);
 * - `passkeys`: WebAuthn credentials (public key, signature counter, backup flags).
 */
export class Mfa1764000000600 implements MigrationInterface {
  name = 'Mfa1764000000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE sessions ADD COLUMN auth_time timestamptz(3)`);
    await q.query(`UPDATE sessions SET auth_time = created_at`);
    await q.query(`ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL, ALTER COLUMN auth_time SET DEFAULT now()`);
    await q.query(`ALTER TABLE sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE sessions DROP CONSTRAINT sessions_auth_method_check`);
    await q.query(`ALTER TABLE sessions ADD CONSTRAINT sessions_auth_method_check CHECK (auth_method IN ('password', 'google', 'github', 'passkey'))`);

    await q.query(`DROP TRIGGER users_access_changes ON users`);
    await q.query(`
      CREATE TRIGGER users_access_changes AFTER UPDATE ON users FOR EACH ROW
      WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active
         OR OLD.password_hash IS DISTINCT FROM NEW.password_hash OR OLD.email IS DISTINCT FROM NEW.email
         OR OLD.name IS DISTINCT FROM NEW.name OR OLD.email_verified_at IS DISTINCT FROM NEW.email_verified_at
         OR OLD.mfa_enabled IS DISTINCT FROM NEW.mfa_enabled)
      EXECUTE FUNCTION access_changes_log()`);

    await q.query(`
      CREATE TABLE mfa_totp (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret_sealed text,
        enabled_at timestamptz(3),
        pending_secret_sealed text,
        pending_created_at timestamptz(3),
        last_used_step bigint NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE mfa_recovery_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash char(64) NOT NULL,
        used_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT mfa_recovery_codes_user_hash_key UNIQUE (user_id, code_hash)
      )`);
    await q.query(`
      CREATE TABLE passkeys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_id varchar(1366) NOT NULL CONSTRAINT passkeys_credential_key UNIQUE,
        public_key bytea NOT NULL,
        sign_count bigint NOT NULL DEFAULT 0,
        transports text[] NOT NULL DEFAULT '{}',
        device_type varchar(16) NOT NULL,
        backed_up boolean NOT NULL,
        name varchar(100) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX passkeys_user_created_idx ON passkeys (user_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE passkeys`);
    await q.query(`DROP TABLE mfa_recovery_codes`);
    await q.query(`DROP TABLE mfa_totp`);
    await q.query(`DROP TRIGGER users_access_changes ON users`);
    await q.query(`
      CREATE TRIGGER users_access_changes AFTER UPDATE ON users FOR EACH ROW
      WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active
         OR OLD.password_hash IS DISTINCT FROM NEW.password_hash OR OLD.email IS DISTINCT FROM NEW.email
         OR OLD.name IS DISTINCT FROM NEW.name OR OLD.email_verified_at IS DISTINCT FROM NEW.email_verified_at)
      EXECUTE FUNCTION access_changes_log()`);
    await q.query(`DELETE FROM sessions WHERE auth_method = 'passkey'`);
    await q.query(`ALTER TABLE sessions DROP CONSTRAINT sessions_auth_method_check`);
    await q.query(`ALTER TABLE sessions ADD CONSTRAINT sessions_auth_method_check CHECK (auth_method IN ('password', 'google', 'github'))`);
    await q.query(`ALTER TABLE sessions DROP COLUMN amr`);
    await q.query(`ALTER TABLE sessions DROP COLUMN auth_time`);
    await q.query(`ALTER TABLE users DROP COLUMN mfa_enabled`);
  }
}
