import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '@app/database';
import { generateToken, sha256, type Tx } from '@app/common';

export type OneTimeTokenPurpose = 'verify_email' | 'reset_password';

/** Email-verification and password-reset tokens: 32 random bytes out, SHA-256 in. */
@Injectable()
export class OneTimeTokensRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Issues a token inside the caller's transaction. Older unused tokens of the same purpose are
   * invalidated first, so only the newest mail works.
   */
  async issue(tx: Tx, userId: string, purpose: OneTimeTokenPurpose, ttlSeconds: number): Promise<string> {
    await queryRows(tx, `UPDATE one_time_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [userId, purpose]);
    const token = generateToken();
    await queryRows(tx, `INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, [
      userId,
      purpose,
      sha256(token),
      ttlSeconds,
    ]);
    return token;
  }

  /** The user of a valid token (right purpose, unused, unexpired), without using it; null otherwise. */
  async peek(token: string, purpose: OneTimeTokenPurpose): Promise<string | null> {
    const rows = await queryRows(
      this.ds,
      `SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`,
      [sha256(token), purpose],
    );
    return rows.length ? (rows[0].user_id as string) : null;
  }

  /** Marks the token used if it is valid (right purpose, unused, unexpired); returns its user. Atomic: one winner. */
  async consume(tx: Tx, token: string, purpose: OneTimeTokenPurpose): Promise<string | null> {
    const rows = await queryRows(
      tx,
      `UPDATE one_time_tokens SET used_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id`,
      [sha256(token), purpose],
    );
    return rows.length ? (rows[0].user_id as string) : null;
  }
}
