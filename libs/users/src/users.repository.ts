import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conditions, keysetPage, queryRows } from '@app/database';
import { AccessChangeNotifier, canonicalEmail, type Cursor, isUniqueViolation, type Role, tryCanonicalEmail, type Tx } from '@app/common';
import { User } from './user.rows';
import { userColumns, userFromRow } from './user.rows';
import { EmailTakenError } from './errors';

export interface NewUser {
  email: string;
  passwordHash: string | null;
  name?: string | null;
  role?: Role;
  emailVerifiedAt?: Date | null;
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
 * `canonicalEmail`); `email` keeps the address as it was typed. Every write bumps `version`
 * (a trigger), and the writes that change what an access token may do are recorded in
 * `access_changes` (triggers too), whoever makes them.
 */
@Injectable()
export class UsersRepository {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly notifier: AccessChangeNotifier,
  ) {}

  /** By primary key: this runs on every cache miss of the access-token path and every refresh. */
  async findById(id: string, tx?: Tx): Promise<User | null> {
    const rows = await queryRows(tx ?? this.ds, USER_BY_ID_SQL, [id]);
    return rows.length ? userFromRow(rows[0]) : null;
  }

  /** By canonical address (null for an address that has none). (Login reads the account with its lockout reservation.) */
  async findByEmail(email: string, tx?: Tx): Promise<User | null> {
    const canonical = tryCanonicalEmail(email);
    if (canonical === null) return null;
    const rows = await queryRows(tx ?? this.ds, USER_BY_EMAIL_SQL, [canonical]);
    return rows.length ? userFromRow(rows[0]) : null;
  }

  /**
   * Inserts a user; an existing or concurrent account with the same canonical address is an
   * EmailTakenError. The address must have a canonical form (validated at the edge).
   */
  async create(data: NewUser, tx?: Tx): Promise<User> {
    const email = data.email.trim();
    try {
      const rows = await queryRows(tx ?? this.ds, INSERT_USER_SQL, [
        email,
        canonicalEmail(email),
        data.passwordHash,
        data.name ?? null,
        data.role ?? 'user',
        data.emailVerifiedAt ?? null,
      ]);
      return userFromRow(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new EmailTakenError();
      throw err;
    }
  }

  async updateName(id: string, name: string | null, tx?: Tx): Promise<void> {
    await queryRows(tx ?? this.ds, `UPDATE users SET name = $2, updated_at = now() WHERE id = $1`, [id, name]);
    await this.notifier.userChanged(id, tx);
  }

  /** A new password (change, reset, admin): pending reset links die with the old one. */
  async setPassword(id: string, hash: string, changedAt: Date, tx: Tx): Promise<void> {
    await queryRows(tx, `UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3 WHERE id = $1`, [id, hash, changedAt]);
    await queryRows(tx, KILL_RESET_LINKS_SQL, [id]);
    await this.notifier.userChanged(id, tx);
  }

  /** The same password under new hashing parameters (login after ARGON2_* changed): not a change. */
  async rehash(id: string, hash: string): Promise<void> {
    await queryRows(this.ds, `UPDATE users SET password_hash = $2 WHERE id = $1`, [id, hash]);
  }

  /**
   * The owner of a never-verified address has just proven it (through a provider, or a reset
   * link): what whoever registered the address chose without proving it — the password and the
   * name — is dropped, and the email is marked verified. False when it was verified already.
   */
  async claimUnverified(id: string, at: Date, tx: Tx): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `UPDATE users SET email_verified_at = $2, password_hash = NULL, password_changed_at = $2, name = NULL, updated_at = $2
        WHERE id = $1 AND email_verified_at IS NULL RETURNING id`,
      [id, at],
    );
    if (rows.length === 0) return false;
    await queryRows(tx, KILL_RESET_LINKS_SQL, [id]);
    await this.notifier.userChanged(id, tx);
    return true;
  }

  /** Marks the address verified; true when it was not verified before (the mailbox was just proven for the first time). */
  async markEmailVerified(id: string, at: Date, tx: Tx): Promise<boolean> {
    const rows = await queryRows(tx, `UPDATE users SET email_verified_at = $2, updated_at = $2 WHERE id = $1 AND email_verified_at IS NULL RETURNING id`, [
      id,
      at,
    ]);
    if (rows.length > 0) await this.notifier.userChanged(id, tx);
    return rows.length > 0;
  }

  /**
   * Newest first; `q` matches email or name case-insensitively (% and _ literal; trigram indexes).
   * Returns `limit + 1` rows.
   */
  async list(f: { q?: string; role?: Role; isActive?: boolean; emailVerified?: boolean; limit: number; cursor?: Cursor }): Promise<User[]> {
    const c = new Conditions();
    if (f.q) {
      const pattern = c.param(`%${f.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
      c.add(`(u.email ILIKE ${pattern} OR u.name ILIKE ${pattern})`);
    }
    if (f.role) c.add(`u.role = ${c.param(f.role)}`);
    if (f.isActive !== undefined) c.add(`u.is_active = ${c.param(f.isActive)}`);
    if (f.emailVerified !== undefined) c.add(f.emailVerified ? `u.email_verified_at IS NOT NULL` : `u.email_verified_at IS NULL`);
    const tail = keysetPage(c, 'u', f);
    const rows = await queryRows(this.ds, `SELECT ${userColumns('u')} FROM users u ${tail}`, c.params);
    return rows.map((r) => userFromRow(r));
  }

  /**
   * Locks the user row and every active admin row, in id order (so two admins cannot remove the
   * last admin together, and two admin changes never deadlock). Returns the user and the ids of
   * the active admins, both as the locks found them.
   */
  async lockForAdminChange(id: string, tx: Tx): Promise<{ user: User | null; activeAdminIds: string[] }> {
    const rows = await queryRows(tx, `SELECT ${userColumns('u')} FROM users u WHERE (u.role = 'admin' AND u.is_active) OR u.id = $1 ORDER BY u.id FOR UPDATE`, [
      id,
    ]);
    const locked = rows.map((r) => userFromRow(r));
    return { user: locked.find((u) => u.id === id) ?? null, activeAdminIds: locked.filter((u) => u.role === 'admin' && u.isActive).map((u) => u.id) };
  }

  async updateRoleAndStatus(id: string, changes: { role?: Role; isActive?: boolean }, tx: Tx): Promise<void> {
    if (changes.role === undefined && changes.isActive === undefined) return;
    await queryRows(tx, `UPDATE users SET role = COALESCE($2, role), is_active = COALESCE($3, is_active), updated_at = now() WHERE id = $1`, [
      id,
      changes.role ?? null,
      changes.isActive ?? null,
    ]);
    await this.notifier.userChanged(id, tx);
  }

  /**
   * Locks the user row for a change of their factors: concurrent enrolments and removals of one
   * user run one after the other, so `mfa_enabled` always describes what committed.
   */
  async lockForFactorChange(id: string, tx: Tx): Promise<User | null> {
    const rows = await queryRows(tx, `SELECT ${userColumns('u')} FROM users u WHERE u.id = $1 FOR UPDATE`, [id]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async setMfaEnabled(id: string, enabled: boolean, tx: Tx): Promise<void> {
    const rows = await queryRows(tx, `UPDATE users SET mfa_enabled = $2, updated_at = now() WHERE id = $1 AND mfa_enabled <> $2 RETURNING id`, [id, enabled]);
    if (rows.length > 0) await this.notifier.userChanged(id, tx);
  }

  async adminExists(): Promise<boolean> {
    const rows = await queryRows(this.ds, `SELECT 1 FROM users WHERE role = 'admin' AND is_active LIMIT 1`, []);
    return rows.length > 0;
  }
}
