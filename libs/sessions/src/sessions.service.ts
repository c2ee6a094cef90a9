import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import type { User } from '@app/users';
import { Clock, type ClientInfo, decodeCursor, DomainEvents, generateToken, ProblemException, type Role, SecretBox, sha256 } from '@app/common';
import { AccessStateService } from './access-state.service';
import { AuthMethod, Session } from './session.entity';
import { SessionsRepository, SessionWithEmail } from './sessions.repository';

export interface StartedSession {
  session: Session;
  refreshToken: string;
}

export interface RotatedSession extends StartedSession {
  /** the session's user as the rotation read it (under the session lock) */
  user: User;
}

export interface Actor extends Partial<ClientInfo> {
  actorId: string;
  sessionId?: string;
}

/**
 * Owns sessions: a session is one refresh-token family. Starting one, rotating its refresh
 * token (with reuse detection and the concurrent-refresh grace window), revoking, listing.
 * Every revocation is committed to PostgreSQL first, then pushed to the access-state cache.
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
  ) {
    this.sealer = new SecretBox(config.auth.jwtSecret, 'refresh-successor-v1');
  }

  /**
   * A sign-in, inside the caller's transaction: creates the session and its first refresh token
   * and stamps the user's last_signin_at `at`, in one statement.
   */
  async start(manager: EntityManager, userId: string, authMethod: AuthMethod, client: ClientInfo, at: Date): Promise<StartedSession> {
    const refreshToken = generateToken();
    const session = await this.repo.create(manager, {
      userId,
      authMethod,
      ip: client.ip,
      userAgent: client.userAgent,
      expiresAt: new Date(this.clock.now().getTime() + this.config.auth.refreshTtl * 1000),
      refreshTokenHash: sha256(refreshToken),
      signedInAt: at,
    });
    return { session, refreshToken };
  }

  /** After the transaction that started a session committed. */
  async announce(session: Session, role: Role): Promise<void> {
    await this.accessState.sessionLive(session.id, session.expiresAt, session.userId, role);
  }

  async rotate(presented: string, client: ClientInfo): Promise<RotatedSession> {
    const presentedHash = sha256(presented);
    const successor = generateToken();
    const now = this.clock.now();
    const outcome = await this.repo.rotate({
      presentedHash,
      successorHash: sha256(successor),
      successorSealed: this.sealer.seal(successor, presentedHash),
      now,
      graceMs: this.config.auth.refreshGrace * 1000,
      newExpiresAt: new Date(now.getTime() + this.config.auth.refreshTtl * 1000),
      onReuse: (manager, session) =>
        this.events.emit({
          name: 'auth.refresh_reused',
          outcome: 'failure',
          actorId: session.userId,
          targetUserId: session.userId,
          sessionId: session.id,
          ip: client.ip,
          userAgent: client.userAgent,
          metadata: { action: 'session_revoked' },
          manager,
        }),
    });

    switch (outcome.kind) {
      case 'unknown':
      case 'inactive':
        throw ProblemException.unauthorized('invalid_refresh_token', 'The refresh token is invalid, expired or revoked');
      case 'disabled':
        throw ProblemException.forbidden('account_disabled', 'This account is disabled');
      case 'reused':
        await this.accessState.sessionsRevoked([outcome.session.id]);
        throw ProblemException.unauthorized(
          'refresh_token_reused',
          'This refresh token was already used; the session has been revoked. Sign in again.',
        );
      case 'grace': {
        const token = this.sealer.open(outcome.sealedSuccessor, presentedHash);
        if (!token) throw ProblemException.unauthorized('invalid_refresh_token', 'The refresh token is invalid, expired or revoked');
        return { session: outcome.session, refreshToken: token, user: outcome.user };
      }
      case 'rotated':
        await this.accessState.sessionLive(outcome.session.id, outcome.session.expiresAt, outcome.session.userId, outcome.user.role);
        return { session: outcome.session, refreshToken: successor, user: outcome.user };
    }
  }

  /** Revokes one session of `userId` (404 when it is not theirs: no existence leak). */
  async revokeOwn(userId: string, sessionId: string, reason: 'logout' | 'user_revoked', actor: Actor): Promise<void> {
    const session = await this.repo.findById(sessionId);
    if (!session || session.userId !== userId) throw ProblemException.notFound('Session not found');
    await this.revokeAndRecord([session.id], userId, reason, actor, reason === 'logout' ? 'auth.logout' : 'session.revoked');
  }

  /** Logout with a refresh token instead of a bearer token (cookie mode). 401 when unknown. */
  async revokeByRefreshToken(refreshToken: string, client: ClientInfo): Promise<void> {
    const session = await this.repo.findByTokenHash(sha256(refreshToken));
    if (!session) throw ProblemException.unauthorized('invalid_refresh_token', 'The refresh token is invalid, expired or revoked');
    await this.revokeAndRecord([session.id], session.userId, 'logout', { actorId: session.userId, sessionId: session.id, ...client }, 'auth.logout');
  }

  /** Revokes one session by id, whoever owns it (admin); 404 when unknown. Returns the owner. */
  async revokeAny(sessionId: string, actor: Actor): Promise<string> {
    const session = await this.repo.findById(sessionId);
    if (!session) throw ProblemException.notFound('Session not found');
    await this.revokeAndRecord([session.id], session.userId, 'admin_revoked', actor, 'admin.session_revoked');
    return session.userId;
  }

  /** Revokes every live session of a user except `exceptId`; returns how many. */
  async revokeAllForUser(
    userId: string,
    reason: string,
    actor: Actor,
    exceptId?: string,
    event: 'session.revoked' | 'auth.logout' | 'admin.session_revoked' = 'session.revoked',
    manager?: EntityManager,
  ): Promise<string[]> {
    const ids = await this.repo.revokeAllForUser(userId, reason, this.clock.now(), exceptId, manager);
    if (!manager) await this.afterRevocation(ids, userId, reason, actor, event);
    return ids;
  }

  /** For callers that revoked inside their own transaction: record and propagate after commit. */
  async afterRevocation(ids: string[], userId: string, reason: string, actor: Actor, event: 'session.revoked' | 'auth.logout' | 'admin.session_revoked'): Promise<void> {
    await this.accessState.sessionsRevoked(ids);
    if (ids.length === 0) return;
    await this.events.emit({
      name: event,
      outcome: 'success',
      actorId: actor.actorId,
      targetUserId: userId,
      sessionId: actor.sessionId,
      ip: actor.ip,
      userAgent: actor.userAgent,
      metadata: { reason, revoked_session_ids: ids.slice(0, 50), count: ids.length },
    });
  }

  listForUser(userId: string, limit: number, cursor?: string): Promise<SessionWithEmail[]> {
    return this.repo.list({ userId, active: true, now: this.clock.now(), limit, cursor: cursor ? decodeCursor(cursor) : undefined });
  }

  list(filter: { userId?: string; active?: boolean; limit: number; cursor?: string }): Promise<SessionWithEmail[]> {
    return this.repo.list({ ...filter, now: this.clock.now(), cursor: filter.cursor ? decodeCursor(filter.cursor) : undefined });
  }

  /** For the active-sessions gauge. */
  countActive(): Promise<number> {
    return this.repo.countActive(this.clock.now());
  }

  private async revokeAndRecord(ids: string[], userId: string, reason: string, actor: Actor, event: 'session.revoked' | 'auth.logout' | 'admin.session_revoked') {
    const revoked = await this.repo.revoke(ids, reason, this.clock.now());
    await this.accessState.sessionsRevoked(ids);
    if (revoked.length === 0 && event !== 'auth.logout') return;
    await this.events.emit({
      name: event,
      outcome: 'success',
      actorId: actor.actorId,
      targetUserId: userId,
      sessionId: actor.sessionId ?? ids[0],
      ip: actor.ip,
      userAgent: actor.userAgent,
      metadata: { reason, revoked_session_ids: ids },
    });
  }
}
