import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conditions, keysetPage, queryRows } from '@app/database';
import { type Cursor, type Tx } from '@app/common';
import { AuthMethod, Session, sessionColumns, toSession } from './session.rows';
import { User, userColumns, userFromRow } from '@app/users';

export interface NewSession {
  userId: string;
  authMethod: AuthMethod;
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
  refreshTokenHash: string;
  /** the sign-in this session starts: stamped on users.last_signin_at by the same statement */
  signedInAt: Date;
  /** how the user proved who they are (RFC 8176 amr values) */
  amr: string[];
}

export interface SessionOwnerState {
  session: Session;
  user: User;
}

export type RotationOutcome =
  | { kind: 'unknown' }
  | { kind: 'inactive'; session: Session }
  | { kind: 'disabled'; session: Session }
  | { kind: 'rotated'; session: Session; user: User }
  | { kind: 'grace'; session: Session; user: User; sealedSuccessor: string }
  | { kind: 'reused'; session: Session };

export interface RotationInput {
  presentedHash: string;
  successorHash: string;
  /** the successor sealed for the grace window, bound to the presented token */
  successorSealed: string;
  now: Date;
  graceMs: number;
  newExpiresAt: Date;
}

export interface SessionListFilter {
  userId?: string;
  /** true: not revoked and not expired; false: revoked or expired */
  active?: boolean;
  authMethod?: AuthMethod;
  now: Date;
  limit: number;
  cursor?: Cursor;
}

export type SessionWithEmail = Session & { userEmail: string };

/** All SQL about sessions and their refresh tokens; rotation and revocation are solved here once. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * The session and its first refresh token, in one statement, inside the caller's unit of work
   * (every login runs this); also the user as the sign-in stamp left it.
   */
  async create(tx: Tx, s: NewSession): Promise<{ session: Session; user: User }> {
    const rows = await queryRows(
      tx,
      `WITH s AS (
         INSERT INTO sessions (user_id, auth_method, ip, user_agent, expires_at, last_used_at, auth_time, amr)
         VALUES ($1, $2, $3, $4, $5, now(), $7, $8::text[])
         RETURNING ${sessionColumns('sessions')}
       ), t AS (
         INSERT INTO refresh_tokens (session_id, token_hash, parent_id) SELECT id, $6, NULL FROM s
       ), u AS (
         UPDATE users SET last_signin_at = $7, updated_at = now() WHERE id = $1 RETURNING ${userColumns('users', 'u_')}
       )
       SELECT * FROM s, u`,
      [s.userId, s.authMethod, s.ip, s.userAgent, s.expiresAt, s.refreshTokenHash, s.signedInAt, s.amr],
    );
    return { session: toSession(rows[0]), user: userFromRow(rows[0], 'u_') };
  }

  /**
   * A live session of the user proved its user again: a fresh auth_time, and the methods of
   * this proof added to amr. null when the session is not live (revoked, expired, someone else's).
   */
  async reauthenticated(sessionId: string, userId: string, at: Date, amr: string[], tx?: Tx): Promise<Session | null> {
    const rows = await queryRows(
      tx ?? this.ds,
      `UPDATE sessions SET auth_time = $3,
              amr = ARRAY(SELECT DISTINCT m FROM unnest(amr || $4::text[]) AS m ORDER BY m)
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
        RETURNING ${sessionColumns('sessions')}`,
      [sessionId, userId, at, amr],
    );
    return rows[0] ? toSession(rows[0]) : null;
  }

  /**
   * One refresh, serialised per session by a row lock on the session: concurrent refreshes of a
   * family cannot fork it. The immediate parent of the current token, presented again within the
   * grace window, gets the same successor back; any other used token revokes the family.
   *
   * The common case costs one statement (this is the hottest write path): `rotateUnused`.
   * Everything else (a token already used: grace or reuse; a session that ended; a disabled user)
   * takes `rotateLocked`, in a unit of work of the caller's (who records a reuse in it).
   */

  /**
   * One statement, one round trip: marks the presented token used only if it is still unused
   * (`UPDATE ... WHERE used_at IS NULL` is an atomic compare-and-set on the token row: of N
   * concurrent refreshes exactly one gets the row, the others wait for its commit and then find
   * it used), slides the session only if it is live and its user active (re-checked against the
   * latest committed row, so a revocation that commits first wins), and inserts the successor
   * only if the session slid. No row → null, and the serialised path decides (its checks of the
   * session and user come before any look at the token, so a token this statement marked used on
   * an ended session still answers "inactive", never "reused").
   */
  async rotateUnused(input: RotationInput): Promise<RotationOutcome | null> {
    const params = [input.presentedHash, input.now, input.graceMs > 0 ? input.successorSealed : null, input.successorHash, input.newExpiresAt];
    const rows = await queryRows(this.ds, ROTATE_UNUSED_SQL, params);
    if (rows.length === 0) return null;
    return { kind: 'rotated', session: toSession(rows[0]), user: userFromRow(rows[0], 'u_') };
  }

  /**
   * The serialised path, under a row lock on the session: the first statement locks the session
   * that owns the presented token and reads its user; the second, whose snapshot is taken once
   * the lock is held, reads the token's state and, only if the token is unused, rotates it.
   * Every write to a session's tokens is either this (under the lock) or the compare-and-set of
   * `rotateUnused`, so "unused" cannot change between the read and the write.
   */
  async rotateLocked(input: RotationInput, tx: Tx): Promise<RotationOutcome> {
    {
      const rows = await queryRows(tx, LOCK_SESSION_BY_TOKEN_SQL, [input.presentedHash]);
      if (rows.length === 0) return { kind: 'unknown' } as const;
      const tokenId = rows[0].token_id as string;
      const session = toSession(rows[0]);
      const user = userFromRow(rows[0], 'u_');
      if (session.revokedAt || session.expiresAt <= input.now) return { kind: 'inactive', session } as const;
      if (!user.isActive) return { kind: 'disabled', session } as const;

      // the main SELECT sees the state before this statement's own writes: used_at IS NULL there
      // means this call rotated the token
      const [token] = await queryRows(
        tx,
        `WITH rotated AS (
           UPDATE refresh_tokens SET used_at = $2, successor_sealed = $3 WHERE id = $1 AND used_at IS NULL RETURNING id
         ), successor AS (
           INSERT INTO refresh_tokens (session_id, token_hash, parent_id, created_at) SELECT $4, $5, id, $2 FROM rotated
         ), slid AS (
           UPDATE sessions SET last_used_at = $2, expires_at = $6 WHERE id = $4 AND EXISTS (SELECT 1 FROM rotated)
         )
         SELECT t.used_at, t.successor_sealed,
                (SELECT c.used_at IS NULL FROM refresh_tokens c WHERE c.session_id = $4 AND c.parent_id = t.id LIMIT 1) AS child_unused
           FROM refresh_tokens t WHERE t.id = $1`,
        [tokenId, input.now, input.graceMs > 0 ? input.successorSealed : null, session.id, input.successorHash, input.newExpiresAt],
      );

      if (token.used_at === null) {
        session.lastUsedAt = input.now;
        session.expiresAt = input.newExpiresAt;
        return { kind: 'rotated', session, user } as const;
      }

      const usedAt = new Date(token.used_at as string | Date);
      const withinGrace = input.now.getTime() - usedAt.getTime() < input.graceMs;
      if (withinGrace && token.successor_sealed && token.child_unused === true) {
        return { kind: 'grace', session, user, sealedSuccessor: token.successor_sealed as string } as const;
      }

      await queryRows(tx, `UPDATE sessions SET revoked_at = $2, revoked_reason = 'refresh_token_reused' WHERE id = $1`, [session.id, input.now]);
      session.revokedAt = input.now;
      session.revokedReason = 'refresh_token_reused';
      return { kind: 'reused', session } as const;
    }
  }

  /** Revokes the listed sessions that are still live; returns the ids actually revoked. */
  async revoke(tx: Tx, ids: string[], reason: string, now: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await queryRows(
      tx,
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL RETURNING id`,
      [ids, now, reason],
    );
    return rows.map((r) => r.id as string);
  }

  /** Revokes every live session of a user, except `exceptId`; returns the revoked ids. */
  async revokeAllForUser(tx: Tx, userId: string, reason: string, now: Date, exceptId?: string): Promise<string[]> {
    const rows = await queryRows(
      tx,
      `UPDATE sessions SET revoked_at = $2, revoked_reason = $3
        WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid)
        RETURNING id`,
      [userId, now, reason, exceptId ?? null],
    );
    return rows.map((r) => r.id as string);
  }

  /** The session a refresh token (current or already rotated) belongs to. */
  async findByTokenHash(tokenHash: string): Promise<Session | null> {
    const rows = await queryRows(
      this.ds,
      `SELECT ${sessionColumns('s')} FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    return rows.length ? toSession(rows[0]) : null;
  }

  async findById(id: string): Promise<Session | null> {
    const rows = await queryRows(this.ds, `SELECT ${sessionColumns('s')} FROM sessions s WHERE s.id = $1`, [id]);
    return rows.length ? toSession(rows[0]) : null;
  }

  /** A session and its user: the access-state cache's source on a miss. */
  async findOwnerState(sessionId: string, userId: string): Promise<SessionOwnerState | null> {
    const rows = await queryRows(
      this.ds,
      `SELECT ${sessionColumns('s')}, ${userColumns('u', 'u_')}
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2`,
      [sessionId, userId],
    );
    if (rows.length === 0) return null;
    return { session: toSession(rows[0]), user: userFromRow(rows[0], 'u_') };
  }

  /** The users among `ids` that exist (the access-state cache's refresh). */
  async findUsers(ids: string[], tx?: Tx): Promise<User[]> {
    const rows = await queryRows(tx ?? this.ds, `SELECT ${userColumns('u')} FROM users u WHERE u.id = ANY($1::uuid[])`, [ids]);
    return rows.map((r) => userFromRow(r));
  }

  /** Live sessions (not revoked, not expired): an index-only count over the live partial index. */
  async countActive(now: Date): Promise<number> {
    const [row] = await queryRows(this.ds, `SELECT count(*)::int AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > $1`, [now]);
    return row.n as number;
  }

  /** Newest first, keyset-paginated on (created_at, id); `limit + 1` rows for the next cursor. */
  async list(f: SessionListFilter): Promise<SessionWithEmail[]> {
    const c = new Conditions();
    if (f.userId) c.add(`s.user_id = ${c.param(f.userId)}::uuid`);
    if (f.active === true) c.add(`s.revoked_at IS NULL AND s.expires_at > ${c.param(f.now)}`);
    if (f.active === false) c.add(`(s.revoked_at IS NOT NULL OR s.expires_at <= ${c.param(f.now)})`);
    if (f.authMethod) c.add(`s.auth_method = ${c.param(f.authMethod)}`);
    const tail = keysetPage(c, 's', f);
    const rows = await queryRows(
      this.ds,
      `SELECT ${sessionColumns('s')}, u.email AS user_email FROM sessions s JOIN users u ON u.id = s.user_id ${tail}`,
      c.params,
    );
    return rows.map((r) => Object.assign(toSession(r), { userEmail: r.user_email as string }));
  }
}

// the two statements of every refresh, built once
const ROTATE_UNUSED_SQL = `WITH rotated AS (
     UPDATE refresh_tokens SET used_at = $2, successor_sealed = $3
      WHERE token_hash = $1 AND used_at IS NULL
      RETURNING id, session_id
   ), slid AS (
     UPDATE sessions s SET last_used_at = $2, expires_at = $5
       FROM rotated r, users u
      WHERE s.id = r.session_id AND u.id = s.user_id AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.is_active
      RETURNING ${sessionColumns('s')}, ${userColumns('u', 'u_')}
   ), successor AS (
     INSERT INTO refresh_tokens (session_id, token_hash, parent_id, created_at)
     SELECT r.session_id, $4, r.id, $2 FROM rotated r WHERE EXISTS (SELECT 1 FROM slid)
   )
   SELECT * FROM slid`;

const LOCK_SESSION_BY_TOKEN_SQL = `SELECT t.id AS token_id, ${sessionColumns('s')}, ${userColumns('u', 'u_')}
     FROM refresh_tokens t
     JOIN sessions s ON s.id = t.session_id
     JOIN users u ON u.id = s.user_id
    WHERE t.token_hash = $1
      FOR UPDATE OF s`;
