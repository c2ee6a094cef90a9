import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isUniqueViolation, type Tx } from '@app/common';
import { queryRows } from '@app/database';
import { COLUMNS, identityFromRow, OAuthIdentity } from './oauth-identity.rows';
import type { OAuthProviderName } from './oauth-provider';

/** A concurrent request linked the same provider account, or the same provider to the same user. */
export class IdentityConflictError extends Error {
  constructor() {
    super('The identity was linked concurrently');
    this.name = 'IdentityConflictError';
  }
}

export interface NewIdentity {
  userId: string;
  provider: OAuthProviderName;
  providerUserId: string;
  email: string | null;
}

/** All SQL about linked provider accounts. The two unique constraints settle every race. */
@Injectable()
export class OAuthIdentitiesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async findByAccount(provider: OAuthProviderName, providerUserId: string): Promise<OAuthIdentity | null> {
    const rows = await queryRows(this.ds, `SELECT ${COLUMNS} FROM oauth_identities WHERE provider = $1 AND provider_user_id = $2`, [provider, providerUserId]);
    return rows.length ? identityFromRow(rows[0]) : null;
  }

  async findForUser(userId: string, provider: OAuthProviderName): Promise<OAuthIdentity | null> {
    const rows = await queryRows(this.ds, `SELECT ${COLUMNS} FROM oauth_identities WHERE user_id = $1 AND provider = $2`, [userId, provider]);
    return rows.length ? identityFromRow(rows[0]) : null;
  }

  async listForUser(userId: string, tx?: Tx): Promise<OAuthIdentity[]> {
    const rows = await queryRows(tx ?? this.ds, `SELECT ${COLUMNS} FROM oauth_identities WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, [userId]);
    return rows.map(identityFromRow);
  }

  /** Inserts a link; a unique violation (a concurrent link) is an IdentityConflictError, and aborts the transaction. */
  async insert(data: NewIdentity, tx: Tx): Promise<OAuthIdentity> {
    try {
      const rows = await queryRows(
        tx,
        `INSERT INTO oauth_identities (user_id, provider, provider_user_id, email) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [data.userId, data.provider, data.providerUserId, data.email],
      );
      return identityFromRow(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new IdentityConflictError();
      throw err;
    }
  }

  /**
   * Locks the owner's user row for the rest of the transaction, so two unlinks of the same user
   * are serialised (neither can remove the last sign-in method the other one counted on).
   * Null when the user does not exist.
   */
  async lockOwner(userId: string, tx: Tx): Promise<{ hasPassword: boolean } | null> {
    const rows = await queryRows(tx, `SELECT (password_hash IS NOT NULL) AS has_password FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    return rows.length ? { hasPassword: rows[0].has_password === true } : null;
  }

  async delete(id: string, tx: Tx): Promise<void> {
    await queryRows(tx, `DELETE FROM oauth_identities WHERE id = $1`, [id]);
  }

  /** Removes every identity of a user; returns the providers that were linked. */
  async deleteAllForUser(userId: string, tx: Tx): Promise<OAuthProviderName[]> {
    const rows = await queryRows(tx, `DELETE FROM oauth_identities WHERE user_id = $1 RETURNING provider`, [userId]);
    return rows.map((r) => r.provider as OAuthProviderName);
  }
}
