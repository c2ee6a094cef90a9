import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { isUniqueViolation } from '@app/common';
import { queryRows } from '@app/database';
import { OAuthIdentity } from './oauth-identity.entity';
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
  constructor(@InjectRepository(OAuthIdentity) private readonly repo: Repository<OAuthIdentity>) {}

  private r(manager?: EntityManager): Repository<OAuthIdentity> {
    return manager ? manager.getRepository(OAuthIdentity) : this.repo;
  }

  findByAccount(provider: OAuthProviderName, providerUserId: string): Promise<OAuthIdentity | null> {
    return this.repo.findOneBy({ provider, providerUserId });
  }

  findForUser(userId: string, provider: OAuthProviderName): Promise<OAuthIdentity | null> {
    return this.repo.findOneBy({ userId, provider });
  }

  listForUser(userId: string, manager?: EntityManager): Promise<OAuthIdentity[]> {
    return this.r(manager).find({ where: { userId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** Inserts a link; a unique violation (a concurrent link) is an IdentityConflictError, and aborts the transaction. */
  async insert(data: NewIdentity, manager: EntityManager): Promise<OAuthIdentity> {
    const repo = this.r(manager);
    try {
      return await repo.save(repo.create(data));
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
  async lockOwner(userId: string, manager: EntityManager): Promise<{ hasPassword: boolean } | null> {
    const rows: { has_password: boolean }[] = await manager.query(
      `SELECT (password_hash IS NOT NULL) AS has_password FROM users WHERE id = $1 FOR UPDATE`,
      [userId],
    );
    return rows.length ? { hasPassword: rows[0].has_password } : null;
  }

  async delete(id: string, manager: EntityManager): Promise<void> {
    await this.r(manager).delete({ id });
  }

  /** Removes every identity of a user; returns the providers that were linked. */
  async deleteAllForUser(userId: string, manager: EntityManager): Promise<OAuthProviderName[]> {
    const rows = await queryRows(manager, `DELETE FROM oauth_identities WHERE user_id = $1 RETURNING provider`, [userId]);
    return rows.map((r) => r.provider as OAuthProviderName);
  }
}
