import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-time tokens (email verification, password reset; only SHA-256 hashes stored) and the
 * transactional email outbox (written in the transaction of the change that needs the mail).
 */
export class Email1764000000100 implements MigrationInterface {
  name = 'Email1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE one_time_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose varchar(32) NOT NULL CONSTRAINT one_time_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password')),
        token_hash char(64) NOT NULL CONSTRAINT one_time_tokens_hash_key UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        used_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id, purpose) WHERE used_at IS NULL`);
    await q.query(`CREATE INDEX one_time_tokens_expires_idx ON one_time_tokens (expires_at)`);

    await q.query(`
      CREATE TABLE email_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        recipient varchar(254) NOT NULL,
        template varchar(64) NOT NULL,
        payload jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CONSTRAINT email_outbox_status_check CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        locked_until timestamptz(3),
        last_error varchar(500),
        provider_message_id varchar(128),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        sent_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX email_outbox_lease_idx ON email_outbox (locked_until) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX email_outbox_failed_idx ON email_outbox (created_at) WHERE status = 'failed'`);
    await q.query(`CREATE INDEX email_outbox_sent_idx ON email_outbox (sent_at) WHERE status = 'sent'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_outbox`);
    await q.query(`DROP TABLE one_time_tokens`);
  }
}
