import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { UnitOfWork } from '@app/database';
import type { User } from '@app/users';
import { type Actor, Clock, type ClientInfo, decodeCursor, DomainEvents, generateToken, SecretBox, sha256, type Tx } from '@app/common';
import { AccessStateService } from './access-state.service';
import { AuthMethod, Session } from './session.rows';
import { SessionsRepository, SessionWithEmail } from './sessions.repository';
import { SessionsErrors } from './errors';

export interface StartedSession {
  session: Session;
  refreshToken: string;
}

export interface RotatedSession extends StartedSession {
  /** the session's user as the rotation read it (under the session lock) */
  user: User;
}

type RevocationEvent = 'session.revoked' | 'auth.logout' | 'admin.session_revoked';

/**
 * Owns sessions: a session is one refresh-token family. Starting one, rotating its refresh
 * token (with reuse detection and the concurrent-refresh grace window), revoking, listing.
 *
 * Every method that changes a session takes an optional unit of work (`tx`): it joins it when
 * given (its writes and audit records commit or roll back with the caller's change), opens its
 * own otherwise, and registers its own after-commit effect (the access-state push). Nothing has
 * to be remembered after a commit; the durable copy of each revocation is PostgreSQL's change log.
 */
@Injectable()
export class SessionsService {
  private readonly sealer: SecretBox;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: SessionsRepository,
    private readonly accessState: AccessStateService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly uow: UnitOfWork,
  ) {
    this.sealer = new SecretBox(config.auth.jwtSecret, 'refresh-successor-v1');
  }

  /**
   * A sign-in, inside the caller's unit of work: creates the session and its first refresh token
   * and stamps the user's last_signin_at `at`, in one statement; warms the access-state cache
   * once it commits.
   */
  async start(tx: Tx, userId: string, authMethod: AuthMethod, client: ClientInfo, at: Date, amr: string[]): Promise<StartedSession> {
    const refreshToken = generateToken();
    const { session, user } = await this.repo.create(tx, {
      userId,
      authMethod,
      ip: client.ip,
      userAgent: client.userAgent,
      expiresAt: new Date(this.clock.now().getTime() + this.config.auth.refreshTtl * 1000),
      refreshTokenHash: sha256(refreshToken),
      signedInAt: at,
      amr,
    });
    tx.afterCommit(() => this.accessState.sessionLive(session.id, session.expiresAt, user));
    return { session, refreshToken };
  }

  async rotate(presented: string, client: ClientInfo): Promise<RotatedSession> {
    const presentedHash = sha256(presented);
    const successor = generateToken();
    const now = this.clock.now();
    const input = {
      presentedHash,
      successorHash: sha256(successor),
      successorSealed: this.sealer.seal(successor, presentedHash),
      now,
      graceMs: this.config.auth.refreshGrace * 1000,
      newExpiresAt: new Date(now.getTime() + this.config.auth.refreshTtl * 1000),
    };
    const outcome =
      (await this.repo.rotateUnused(input)) ??
      (await this.uow.run(async (tx) => {
        const locked = await this.repo.rotateLocked(input, tx);
        if (locked.kind === 'reused') {
          const session = locked.session;
          tx.afterCommit(() => this.accessState.sessionsRevoked(session.userId, [session.id]));
          await this.events.record(
            'auth.refresh_reused',
            { actorId: session.userId, sessionId: session.id, ...client },
            {
              outcome: 'failure',
              metadata: { action: 'session_revoked' },
              tx,
            },
          );
        }
        return locked;
      }));

    switch (outcome.kind) {
      case 'unknown':
      case 'inactive':
        throw SessionsErrors.invalidRefreshToken();
      case 'disabled':
        throw SessionsErrors.accountDisabled();
      case 'reused':
        throw SessionsErrors.refreshTokenReused();
      case 'grace': {
        const token = this.sealer.open(outcome.sealedSuccessor, presentedHash);
        if (!token) throw SessionsErrors.invalidRefreshToken();
        return { session: outcome.session, refreshToken: token, user: outcome.user };
      }
      case 'rotated':
        await this.accessState.sessionLive(outcome.session.id, outcome.session.expiresAt, outcome.user);
        return { session: outcome.session, refreshToken: successor, user: outcome.user };
    }
  }

  /** Revokes one session of `userId` (404 when it is not theirs: no existence leak). */
  /** The session proved its user again (POST /auth/reauthenticate): fresh auth_time, amr extended; null when it is not live. */
  reauthenticated(sessionId: string, userId: string, amr: string[]): Promise<Session | null> {
    return this.repo.reauthenticated(sessionId, userId, this.clock.now(), amr);
  }

  async revokeOwn(userId: string, sessionId: string, reason: 'logout' | 'user_revoked', actor: Actor): Promise<void> {
    const session = await this.repo.findById(sessionId);
    if (!session || session.userId !== userId) throw SessionsErrors.sessionNotFound();
    await this.revokeListed([session.id], userId, reason, actor, reason === 'logout' ? 'auth.logout' : 'session.revoked');
  }

  /** Logout with a refresh token instead of a bearer token (cookie mode). 401 when unknown. */
  async revokeByRefreshToken(refreshToken: string, client: ClientInfo): Promise<void> {
    const session = await this.repo.findByTokenHash(sha256(refreshToken));
    if (!session) throw SessionsErrors.invalidRefreshToken();
    await this.revokeListed([session.id], session.userId, 'logout', { actorId: session.userId, sessionId: session.id, ...client }, 'auth.logout');
  }

  /** Revokes one session by id, whoever owns it (admin); 404 when unknown. Returns the owner. */
  async revokeAny(sessionId: string, actor: Actor): Promise<string> {
    const session = await this.repo.findById(sessionId);
    if (!session) throw SessionsErrors.sessionNotFound();
    await this.revokeListed([session.id], session.userId, 'admin_revoked', actor, 'admin.session_revoked');
    return session.userId;
  }

  /**
   * Revokes every live session of a user except `exceptId`, records it, and (after the commit)
   * pushes it to the access-state cache; in `tx` when given. Returns the revoked ids.
   */
  async revokeAllForUser(userId: string, reason: string, actor: Actor, opts: { exceptId?: string; event?: RevocationEvent; tx?: Tx } = {}): Promise<string[]> {
    return this.uow.run(async (tx) => {
      const ids = await this.repo.revokeAllForUser(tx, userId, reason, this.clock.now(), opts.exceptId);
      if (ids.length === 0) return ids;
      tx.afterCommit(() => this.accessState.sessionsRevoked(userId, ids));
      await this.events.record(opts.event ?? 'session.revoked', actor, {
        target: userId,
        metadata: { reason, revoked_session_ids: ids.slice(0, 50), count: ids.length },
        tx,
      });
      return ids;
    }, opts.tx);
  }

  listForUser(userId: string, limit: number, cursor?: string): Promise<SessionWithEmail[]> {
    return this.repo.list({ userId, active: true, now: this.clock.now(), limit, cursor: cursor ? decodeCursor(cursor) : undefined });
  }

  list(filter: { userId?: string; active?: boolean; authMethod?: AuthMethod; limit: number; cursor?: string }): Promise<SessionWithEmail[]> {
    return this.repo.list({ ...filter, now: this.clock.now(), cursor: filter.cursor ? decodeCursor(filter.cursor) : undefined });
  }

  /** For the active-sessions gauge. */
  countActive(): Promise<number> {
    return this.repo.countActive(this.clock.now());
  }

  private revokeListed(ids: string[], userId: string, reason: string, actor: Actor, event: RevocationEvent): Promise<void> {
    return this.uow.run(async (tx) => {
      const revoked = await this.repo.revoke(tx, ids, reason, this.clock.now());
      if (revoked.length) tx.afterCommit(() => this.accessState.sessionsRevoked(userId, revoked));
      // a logout of an already-ended session is still the user's logout
      if (revoked.length === 0 && event !== 'auth.logout') return;
      await this.events.record(
        event,
        { ...actor, sessionId: actor.sessionId ?? ids[0] },
        { target: userId, metadata: { reason, revoked_session_ids: ids }, tx },
      );
    });
  }
}
