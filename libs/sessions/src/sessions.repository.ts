import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { type Cursor, type Role } from '@app/common';
import { AuthMethod, Session } from './session.entity';
import { RefreshToken } from './refresh-token.entity';

export interface NewSession {
  userId: string;
  authMethod: AuthMethod;
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
  refreshTokenHash: string;
}

export interface SessionOwnerState {
  session: Session;
  userActive: boolean;
  userRole: Role;
}

export type RotationOutcome =
  | { kind: 'unknown' }
  | { kind: 'inactive'; session: Session }
  | { kind: 'disabled'; session: Session }
  | { kind: 'rotated'; session: Session; role: Role }
  | { kind: 'grace'; session: Session; role: Role; sealedSuccessor: string }
  | { kind: 'reused'; session: Session };

export interface RotationInput {
  presentedHash: string;
  successorHash: string;
  /** the successor sealed for the grace window, bound to the presented token */
  successorSealed: string;
  now: Date;
  graceMs: number;
  newExpiresAt: Date;
  /** runs inside the transaction when reuse revokes the session (audit) */
  onReuse: (manager: EntityManager, session: Session) => Promise<void>;
}

export interface SessionListFilter {
  userId?: string;
  /** true: not revoked and not expired; false: revoked or expired */
  active?: boolean;
  now: Date;
  limit: number;
  cursor?: Cursor;
}

export type SessionWithEmail = Session & { userEmail: string };

/** All SQL about sessions and their refresh tokens; rotation and revocation are solved here once. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts a session and its first refresh token (inside the caller's transaction). */
  async create(manager: EntityManager, s: NewSession): Promise<Session> {
    const session = await manager.getRepository(Session).save(
      manager.getRepository(Session).create({
        userId: s.userId,
        authMethod: s.authMethod,
        ip: s.ip,
        userAgent: s.userAgent,
        expiresAt: s.expiresAt,
        lastUsedAt: new Date(),
        revokedAt: null,
        revokedReason: null,
      }),
    );
    await manager.getRepository(RefreshToken).insert({ sessionId: session.id, tokenHash: s.refreshTokenHash, parentId: null });
    return session;
  }

  /**
   * One refresh, serialised per session by a row lock on the session: concurrent refreshes of a
   * family cannot fork it. The immediate parent of the current token, presented again within the
   * grace window, gets the same successor back; any other used token revokes the family.
   */
  rotate(input: RotationInput): Promise<RotationOutcome> {
    return this.ds.transaction(async (m) => {
      const found = await m.query(`SELECT id, session_id FROM refresh_tokens WHERE token_hash = $1`, [input.presentedHash]);
      if (found.length === 0) return { kind: 'unknown' } as const;
      const tokenId: string = found[0].id;

      const rows = await m.query(
        `SELECT s.id, s.user_id, s.auth_method, s.ip, s.user_agent, s.created_at, s.last_used_at, s.expires_at,
                s.revoked_at, s.revoked_reason, u.is_active AS user_active, u.role AS user_role
           FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = $1
            FOR UPDATE OF s`,
        [found[0].session_id],
      );
      if (rows.length === 0) return { kind: 'unknown' } as const;
      const session = toSession(rows[0]);
      if (session.revokedAt || session.expiresAt <= input.now) return { kind: 'inactive', session } as const;
      if (!rows[0].user_active) return { kind: 'disabled', session } as const;
      const role = rows[0].user_role as Role;

      const [token] = await m.query(
        `SELECT t.used_at, t.successor_sealed,
                (SELECT c.used_at IS NULL FROM refresh_tokens c WHERE c.session_id = t.session_id AND c.parent_id = t.id LIMIT 1) AS child_unused
           FROM refresh_tokens t WHERE t.id = $1`,
        [tokenId],
      );

      if (token.used_at === null) {
        await m.query(`UPDATE refresh_tokens SET used_at = $2, successor_sealed = $3 WHERE id = $1`, [
          tokenId,
          input.now,
          input.graceMs > 0 ? input.successorSealed : null,
        ]);
        await m.query(`INSERT INTO refresh_tokens (session_id, token_hash, parent_id, created_at) VALUES ($1, $2, $3, $4)`, [
          session.id,
          input.successorHash,
          tokenId,
          input.now,
        ]);
        await m.query(`UPDATE sessions SET last_used_at = $2, expires_at = $3 WHERE id = $1`, [session.id, input.now, input.newExpiresAt]);
        session.lastUsedAt = input.now;
        session.expiresAt = input.newExpiresAt;
        return { kind: 'rotated', session, role } as const;
      }

      const usedAt = new Date(token.used_at);
      const withinGrace = input.now.getTime() - usedAt.getTime() < input.graceMs;
      if (withinGrace && token.successor_sealed && token.child_unused === true) {
        return { kind: 'grace', session, role, sealedSuccessor: token.successor_sealed as string } as const;
      }

      await m.query(`UPDATE sessions SET revoked_at = $2, revoked_reason = 'refresh_token_reused' WHERE id = $1`, [session.id, input.now]);
      session.revokedAt = input.now;
      session.revokedReason = 'refresh_token_reused';
      await input.onReuse(m, session);
      return { kind: 'reused', session } as const;
    });
  }

  /** Revokes the listed sessions that are still live; returns the ids actually revoked. */
  async revoke(ids: string[], reason: string, now: Date, manager?: EntityManager): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await (manager ?? this.ds.manager).query(
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL RETURNING id`,
      [ids, now, reason],
    );
    return normalize(rows).map((r: { id: string }) => r.id);
  }

  /** Revokes every live session of a user, except `exceptId`; returns the revoked ids. */
  async revokeAllForUser(userId: string, reason: string, now: Date, exceptId?: string, manager?: EntityManager): Promise<string[]> {
    const rows = await (manager ?? this.ds.manager).query(
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
        WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)
        RETURNING id`,
      [userId, now, reason, exceptId ?? null],
    );
    return normalize(rows).map((r: { id: string }) => r.id);
  }

  /** The session a refresh token (current or already rotated) belongs to. */
  async findByTokenHash(tokenHash: string): Promise<Session | null> {
    const rows = await this.ds.query(`SELECT session_id FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]);
    return rows.length ? this.findById(rows[0].session_id) : null;
  }

  findById(id: string): Promise<Session | null> {
    return this.ds.getRepository(Session).findOneBy({ id });
  }

  /** Live state of a session and its user: the fallback of the access-token check. */
  async findOwnerState(sessionId: string, userId: string): Promise<SessionOwnerState | null> {
    const rows = await this.ds.query(
      `SELECT s.id, s.user_id, s.auth_method, s.ip, s.user_agent, s.created_at, s.last_used_at, s.expires_at,
              s.revoked_at, s.revoked_reason, u.is_active AS user_active, u.role AS user_role
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2`,
      [sessionId, userId],
    );
    if (rows.length === 0) return null;
    return { session: toSession(rows[0]), userActive: rows[0].user_active, userRole: rows[0].user_role };
  }

  /** Live sessions (not revoked, not expired): an index-only count over the live partial index. */
  async countActive(now: Date): Promise<number> {
    const [row] = await this.ds.query(`SELECT count(*)::int AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > $1`, [now]);
    return row.n as number;
  }

  /** Newest first, keyset-paginated on (created_at, id); `limit + 1` rows for the next cursor. */
  async list(f: SessionListFilter): Promise<SessionWithEmail[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.userId) where.push(`s.user_id = ${p(f.userId)}`);
    if (f.active === true) where.push(`s.revoked_at IS NULL AND s.expires_at > ${p(f.now)}`);
    if (f.active === false) where.push(`(s.revoked_at IS NOT NULL OR s.expires_at <= ${p(f.now)})`);
    if (f.cursor) where.push(`(s.created_at, s.id) < (${p(f.cursor.createdAt)}, ${p(f.cursor.id)}::uuid)`);
    const rows = await this.ds.query(
      `SELECT s.id, s.user_id, s.auth_method, s.ip, s.user_agent, s.created_at, s.last_used_at, s.expires_at,
              s.revoked_at, s.revoked_reason, u.email AS user_email
         FROM sessions s JOIN users u ON u.id = s.user_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT ${p(f.limit + 1)}`,
      params,
    );
    return rows.map((r: Record<string, unknown>) => Object.assign(toSession(r), { userEmail: r.user_email as string }));
  }
}

/** `UPDATE ... RETURNING` comes back as [rows, count] from TypeORM's postgres driver. */
function normalize(result: unknown): { id: string }[] {
  if (Array.isArray(result) && Array.isArray(result[0])) return result[0];
  return (result as { id: string }[]) ?? [];
}

function toSession(r: Record<string, unknown>): Session {
  const s = new Session();
  s.id = r.id as string;
  s.userId = r.user_id as string;
  s.authMethod = r.auth_method as AuthMethod;
  s.ip = (r.ip as string) ?? null;
  s.userAgent = (r.user_agent as string) ?? null;
  s.createdAt = new Date(r.created_at as string);
  s.lastUsedAt = new Date(r.last_used_at as string);
  s.expiresAt = new Date(r.expires_at as string);
  s.revokedAt = r.revoked_at ? new Date(r.revoked_at as string) : null;
  s.revokedReason = (r.revoked_reason as string) ?? null;
  return s;
}
