import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { queryRows } from '@app/database';
import { canonicalEmail, type Cursor, isUniqueViolation, ProblemException, type Role, tryCanonicalEmail } from '@app/common';
import { User } from './user.entity';

export interface NewUser {
  email: string;
  passwordHash: string | null;
  name?: string | null;
  role?: Role;
  emailVerifiedAt?: Date | null;
}

const USER_FIELDS = [
  'id',
  'email',
  'password_hash',
  'name',
  'role',
  'email_verified_at',
  'is_active',
  'password_changed_at',
  'last_signin_at',
  'created_at',
  'updated_at',
] as const;

/**
 * Every column of `users` for raw SQL on hot paths (TypeORM's query builder costs more CPU than
 * the query itself there): `userColumns('u', 'u_')` → `u.id AS u_id, u.email AS u_email, ...`.
 */
export function userColumns(alias: string, prefix = ''): string {
  return USER_FIELDS.map((c) => `${alias}.${c} AS ${prefix}${c}`).join(', ');
}

/** The User of a raw row selected with `userColumns(alias, prefix)`. */
export function userFromRow(r: Record<string, unknown>, prefix = ''): User {
  const at = (c: string) => (r[prefix + c] == null ? null : new Date(r[prefix + c] as string | Date));
  const u = new User();
  u.id = r[`${prefix}id`] as string;
  u.email = r[`${prefix}email`] as string;
  u.passwordHash = (r[`${prefix}password_hash`] as string | null) ?? null;
  u.name = (r[`${prefix}name`] as string | null) ?? null;
  u.role = r[`${prefix}role`] as Role;
  u.emailVerifiedAt = at('email_verified_at');
  u.isActive = r[`${prefix}is_active`] === true;
  u.passwordChangedAt = at('password_changed_at');
  u.lastSigninAt = at('last_signin_at');
  u.createdAt = at('created_at')!;
  u.updatedAt = at('updated_at')!;
  return u;
}

/**
 * The name to greet a user with in mail: only once the address is verified. Until then the
 * name is text chosen by whoever registered the address, and mailing it would let anyone make
 * this product send their words to any mailbox.
 */
export function mailName(user: Pick<User, 'name' | 'emailVerifiedAt'>): string | null {
  return user.emailVerifiedAt ? user.name : null;
}

const USER_BY_ID_SQL = `SELECT ${userColumns('u')} FROM users u WHERE u.id = $1`;
const USER_BY_EMAIL_SQL = `SELECT ${userColumns('u')} FROM users u WHERE u.email_canonical = $1`;
const INSERT_USER_SQL = `INSERT INTO users (email, email_canonical, password_hash, name, role, email_verified_at, password_changed_at)
  VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3::varchar IS NULL THEN NULL ELSE now() END)
  RETURNING ${userColumns('users')}`;
/** A password changed by any route: pending reset links die with the old password. */
const KILL_RESET_LINKS_SQL = `UPDATE one_time_tokens SET used_at = now() WHERE user_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`;

/**
 * All SQL about users. An address is unique by its canonical form (`email_canonical`, see
 * `canonicalEmail`); `email` keeps the address as it was typed.
 */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly repo: Repository<User>) {}

  private r(manager?: EntityManager): Repository<User> {
    return manager ? manager.getRepository(User) : this.repo;
  }

  /** By primary key, in raw SQL: this runs on every `/auth/me` and refresh. */
  async findById(id: string, manager?: EntityManager): Promise<User | null> {
    const rows = await queryRows(manager ?? this.repo.manager, USER_BY_ID_SQL, [id]);
    return rows.length ? userFromRow(rows[0]) : null;
  }

  /** By canonical address (null for an address that has none). (Login reads the account with its lockout reservation.) */
  async findByEmail(email: string, manager?: EntityManager): Promise<User | null> {
    const canonical = tryCanonicalEmail(email);
    if (canonical === null) return null;
    const rows = await queryRows(manager ?? this.repo.manager, USER_BY_EMAIL_SQL, [canonical]);
    return rows.length ? userFromRow(rows[0]) : null;
  }

  /**
   * Inserts a user; an existing or concurrent account with the same canonical address is 409
   * email_taken. The address must have a canonical form (validated at the edge).
   */
  async create(data: NewUser, manager?: EntityManager): Promise<User> {
    const email = data.email.trim();
    try {
      const rows = await queryRows(manager ?? this.repo.manager, INSERT_USER_SQL, [
        email,
        canonicalEmail(email),
        data.passwordHash,
        data.name ?? null,
        data.role ?? 'user',
        data.emailVerifiedAt ?? null,
      ]);
      return userFromRow(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw ProblemException.conflict('email_taken', 'An account with this email already exists');
      throw err;
    }
  }

  async updateName(id: string, name: string | null): Promise<void> {
    await this.repo.update({ id }, { name });
  }

  /** A new password (change, reset, admin): pending reset links die with the old one. */
  async setPassword(id: string, hash: string, changedAt: Date, manager: EntityManager): Promise<void> {
    await queryRows(manager, `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`, [id, hash, changedAt]);
    await queryRows(manager, KILL_RESET_LINKS_SQL, [id]);
  }

  /** The same password under new hashing parameters (login after ARGON2_* changed): not a change. */
  async rehash(id: string, hash: string): Promise<void> {
    await queryRows(this.repo.manager, `UPDATE users SET password_hash = $2 WHERE id = $1`, [id, hash]);
  }

  /**
   * The owner of a never-verified address has just proven it (through a provider, or a reset
   * link): what whoever registered the address chose without proving it — the password and the
   * name — is dropped, and the email is marked verified. False when it was verified already.
   */
  async claimUnverified(id: string, at: Date, manager: EntityManager): Promise<boolean> {
    const rows = await queryRows(
      manager,
      `UPDATE users SET email_verified_at = $2, password_hash = NULL, password_changed_at = $2, name = NULL, updated_at = $2
        WHERE id = $1 AND email_verified_at IS NULL RETURNING id`,
      [id, at],
    );
    if (rows.length > 0) await queryRows(manager, KILL_RESET_LINKS_SQL, [id]);
    return rows.length > 0;
  }

  /** Marks the address verified; true when it was not verified before (the mailbox was just proven for the first time). */
  async markEmailVerified(id: string, at: Date, manager: EntityManager): Promise<boolean> {
    const rows = await queryRows(manager, `UPDATE users SET email_verified_at = $2, updated_at = $2 WHERE id = $1 AND email_verified_at IS NULL RETURNING id`, [id, at]);
    return rows.length > 0;
  }

  /** Newest first; `q` matches email or name case-insensitively. Returns `limit + 1` rows. */
  async list(f: { q?: string; role?: Role; isActive?: boolean; limit: number; cursor?: Cursor }): Promise<User[]> {
    const qb = this.repo.createQueryBuilder('u');
    if (f.q) {
      const pattern = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere('(u.email ILIKE :pattern OR u.name ILIKE :pattern)', { pattern });
    }
    if (f.role) qb.andWhere('u.role = :role', { role: f.role });
    if (f.isActive !== undefined) qb.andWhere('u.is_active = :active', { active: f.isActive });
    if (f.cursor) qb.andWhere('(u.created_at, u.id) < (:cAt, :cId)', { cAt: f.cursor.createdAt, cId: f.cursor.id });
    return qb.orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').limit(f.limit + 1).getMany();
  }

  /** Locks the user row and every active admin row (so two admins cannot remove the last admin together). */
  async lockForAdminChange(id: string, manager: EntityManager): Promise<{ user: User | null; activeAdminIds: string[] }> {
    const admins: { id: string }[] = await manager.query(
      `SELECT id FROM users WHERE (role = 'admin' AND is_active) OR id = $1 ORDER BY id FOR UPDATE`,
      [id],
    );
    const user = await manager.getRepository(User).findOneBy({ id });
    const activeAdminIds = (
      await manager.query(`SELECT id FROM users WHERE role = 'admin' AND is_active AND id = ANY($1::uuid[])`, [admins.map((a) => a.id)])
    ).map((r: { id: string }) => r.id);
    return { user, activeAdminIds };
  }

  async updateRoleAndStatus(id: string, changes: { role?: Role; isActive?: boolean }, manager: EntityManager): Promise<void> {
    if (changes.role === undefined && changes.isActive === undefined) return;
    await manager.getRepository(User).update({ id }, changes);
  }

  async adminExists(): Promise<boolean> {
    return this.repo.exists({ where: { role: 'admin', isActive: true } });
  }
}
