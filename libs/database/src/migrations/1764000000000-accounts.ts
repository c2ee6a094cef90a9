import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, sessions (one refresh-token family each), refresh tokens, login attempts (lockout) and
 * the audit trail. Timestamps are timestamptz(3): millisecond precision, so the (created_at, id)
 * keyset cursors round-trip exactly through JavaScript dates.
 */
export class Accounts1764000000000 implements MigrationInterface {
  name = 'Accounts1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL,
        password_hash varchar(255),
        name varchar(100),
        role varchar(16) NOT NULL DEFAULT 'user' CONSTRAINT users_role_check CHECK (role IN ('admin', 'user', 'guest')),
        email_verified_at timestamptz(3),
        is_active boolean NOT NULL DEFAULT true,
        password_changed_at timestamptz(3),
        last_signin_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
    await q.query(`CREATE INDEX users_created_idx ON users (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX users_role_created_idx ON users (role, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        auth_method varchar(16) NOT NULL CONSTRAINT sessions_auth_method_check CHECK (auth_method IN ('password', 'google', 'github')),
        ip varchar(64),
        user_agent varchar(512),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        revoked_at timestamptz(3),
        revoked_reason varchar(32)
      )`);
    await q.query(`CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX sessions_created_idx ON sessions (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX sessions_expires_idx ON sessions (expires_at)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL CONSTRAINT refresh_tokens_hash_key UNIQUE,
        parent_id uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        used_at timestamptz(3),
        successor_sealed text
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id, created_at DESC)`);
    await q.query(`CREATE INDEX refresh_tokens_sealed_idx ON refresh_tokens (used_at) WHERE successor_sealed IS NOT NULL`);

    await q.query(`
      CREATE TABLE login_attempts (
        email_key varchar(254) PRIMARY KEY,
        attempts integer NOT NULL,
        window_started_at timestamptz(3) NOT NULL DEFAULT now(),
        locked_until timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX login_attempts_updated_idx ON login_attempts (updated_at)`);

    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event varchar(64) NOT NULL,
        outcome varchar(8) NOT NULL CONSTRAINT audit_events_outcome_check CHECK (outcome IN ('success', 'failure')),
        actor_id uuid,
        target_user_id uuid,
        session_id uuid,
        ip varchar(64),
        user_agent varchar(512),
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_target_idx ON audit_events (target_user_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_event_idx ON audit_events (event, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE login_attempts`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE users`);
  }
}
