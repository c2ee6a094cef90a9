import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts at Google / GitHub linked to users. One provider account belongs to one user
 * (provider, provider_user_id), and a user has at most one account per provider (user_id, provider):
 * both are constraints, so concurrent callbacks cannot link twice.
 */
export class OauthIdentities1764000000200 implements MigrationInterface {
  name = 'OauthIdentities1764000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE oauth_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider varchar(16) NOT NULL CONSTRAINT oauth_identities_provider_check CHECK (provider IN ('google', 'github')),
        provider_user_id varchar(255) NOT NULL,
        email varchar(254),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT oauth_identities_provider_account_key UNIQUE (provider, provider_user_id),
        CONSTRAINT oauth_identities_user_provider_key UNIQUE (user_id, provider)
      )`);
    await q.query(`CREATE INDEX oauth_identities_user_idx ON oauth_identities (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE oauth_identities`);
  }
}
