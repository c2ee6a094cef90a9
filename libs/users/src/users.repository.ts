import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { queryRows } from '@app/database';
import { type Cursor, isUniqueViolation, ProblemException, type Role } from '@app/common';
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

const USER_BY_ID_SQL = `SELECT ${userColumns('u')} FROM users u WHERE u.id = $1`;
const USER_BY_EMAIL_SQL = `SELECT ${userColumns('u')} FROM users u WHERE lower(u.email) = lower($1)`;

/** All SQL about users. Emails are unique case-insensitively (index on lower(email)). */
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

  /** Case-insensitive, on the unique index over lower(email). (Login reads the account with its lockout reservation.) */
  async findByEmail(email: string, manager?: EntityManager): Promise<User | null> {
    const rows = await queryRows(manager ?? this.repo.manager, USER_BY_EMAIL_SQL, [email.trim()]);
    return rows.length ? userFromRow(rows[0]) : null;
  }

  /** Inserts a user; a concurrent or existing same email (any case) is 409 email_taken. */
  async create(data: NewUser, manager?: EntityManager): Promise<User> {
    const repo = this.r(manager);
    try {
      return await repo.save(
        repo.create({
          email: data.email.trim(),
          passwordHash: data.passwordHash,
          name: data.name ?? null,
          role: data.role ?? 'user',
          emailVerifiedAt: data.emailVerifiedAt ?? null,
          passwordChangedAt: data.passwordHash ? new Date() : null,
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw ProblemException.conflict('email_taken', 'An account with this email already exists');
      throw err;
    }
  }

  async updateName(id: string, name: string | null): Promise<void> {
    await this.repo.update({ id }, { name });
  }

  async updatePasswordHash(id: string, hash: string, changedAt: Date | null, manager?: EntityManager): Promise<void> {
    await this.r(manager).update({ id }, changedAt ? { passwordHash: hash, passwordChangedAt: changedAt } : { passwordHash: hash });
  }

  /**
   * The owner of the address has just proven it (through a provider): a password set by whoever
   * registered the address without proving it is dropped, and the email is marked verified.
   */
  async claimUnverified(id: string, at: Date, manager: EntityManager): Promise<boolean> {
    const rows = await queryRows(
      manager,
      `UPDATE users SET email_verified_at = $2, password_hash = NULL, password_changed_at = $2, updated_at = $2
        WHERE id = $1 AND email_verified_at IS NULL RETURNING id`,
      [id, at],
    );
    return rows.length > 0;
  }

  async markEmailVerified(id: string, at: Date, manager?: EntityManager): Promise<void> {
    await this.r(manager)
      .createQueryBuilder()
      .update(User)
      .set({ emailVerifiedAt: at })
      .where('id = :id AND email_verified_at IS NULL', { id })
      .execute();
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
