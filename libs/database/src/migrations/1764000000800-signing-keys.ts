import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signing keys of access tokens (JWT_ALGORITHM ES256 or EdDSA): the public JWK, the private key
 * sealed (AES-256-GCM, KEY_ENCRYPTION_SECRET), and the state `next` → `current` → `retired`. At
 * most one current and one next key per algorithm (partial unique indexes): two nodes rotating
 * at once cannot both win. `publish_until`: a retired key stays in the JWKS until the longest
 * access token it signed has expired.
 */
export class SigningKeys1764000000800 implements MigrationInterface {
  name = 'SigningKeys1764000000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE signing_keys (
        kid varchar(64) PRIMARY KEY,
        alg varchar(16) NOT NULL CONSTRAINT signing_keys_alg_check CHECK (alg IN ('ES256', 'EdDSA')),
        state varchar(16) NOT NULL CONSTRAINT signing_keys_state_check CHECK (state IN ('next', 'current', 'retired')),
        public_jwk jsonb NOT NULL,
        private_sealed text NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        activated_at timestamptz(3),
        retired_at timestamptz(3),
        publish_until timestamptz(3)
      )`);
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE state = 'current'`);
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg) WHERE state = 'next'`);
    await q.query(`CREATE INDEX signing_keys_created_idx ON signing_keys (created_at DESC, kid DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE signing_keys`);
  }
}
