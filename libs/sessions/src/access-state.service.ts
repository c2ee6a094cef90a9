import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OnEvent } from '@nestjs/event-emitter';
import { ACCESS_USER_CHANGED, Clock, type Role, type Tx } from '@app/common';
import { KeyValueStore, MemoryKeyValueStore } from '@app/redis';
import { User, UserDto } from '@app/users';
import { SessionsRepository } from './sessions.repository';

export type AccessDecision =
  | { ok: true; role: Role; profile: UserDto }
  | { ok: false; reason: 'revoked' | 'expired' | 'disabled' }
  | { ok: false; reason: 'throttled'; retryAfterS: number };

/** A session's cache entry once revoked; never overwritten until it expires. */
const REVOKED = 'r';
/** Beats every real version: a deleted user's entry can never be refilled from an older read. */
const DELETED_VERSION = Number.MAX_SAFE_INTEGER;

// one hash tag per user: a request's session, user and throttle keys share a Redis Cluster slot
const sessionKey = (uid: string, sid: string) => `as:{${uid}}:s:${sid}`;
const userKey = (uid: string) => `as:{${uid}}:u`;
const throttleKey = (uid: string) => `as:{${uid}}:t`;

/**
 * The live state behind every access token, and the signed-in user's profile, answered by one
 * store call per request (`authorize`: the throttle counted, the session's and the user's
 * entries read).
 *
 * The store holds a cache that PostgreSQL can always rebuild, and PostgreSQL is the truth:
 * - a session entry is its expiry, or `r` once revoked (`r` is never overwritten);
 * - a user entry is `version|active|role|profile`, written only by a compare-and-set on
 *   `users.version` (bumped by a trigger on every update), so an older read of the user can never
 *   replace a newer one, whatever order concurrent writers reach the store in;
 * - a missing entry (first use, Redis restarted empty) is read from PostgreSQL and written back
 *   under the same rules.
 * Every change a token must honour is logged in `access_changes` by a trigger in the committing
 * transaction: the node that committed pushes it at once (an after-commit effect), and
 * `AccessChangesReplayer` on every node applies whatever is still logged shortly after, so a
 * change survives Redis being unreachable at commit time and the committing node dying. When the
 * store cannot be reached, or a push of this node failed and has not been replayed yet, the
 * decision comes from PostgreSQL: slower, never fail-open.
 */
@Injectable()
export class AccessStateService {
  private readonly logger = new Logger(AccessStateService.name);
  private readonly ttlMs: number;
  /** counts throttle windows while the store is unreachable (limits then apply per node) */
  private readonly fallbackCounter = new MemoryKeyValueStore();
  /** set when a push of this node failed; cleared by the next complete replay */
  private unsyncedSince = 0;
  /** set while the last store call failed: reported by health */
  degraded = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: KeyValueStore,
    private readonly sessions: SessionsRepository,
    private readonly clock: Clock,
  ) {
    // an entry must outlive every access token that may still ask about it
    this.ttlMs = (config.auth.accessTtl + 60) * 1000;
  }

  /**
   * The request path: counts the request in the user's throttle window (THROTTLE_LIMIT per
   * THROTTLE_TTL) and decides from the cached entries, falling back to PostgreSQL on a miss.
   */
  async authorize(sessionId: string, userId: string, now = this.clock.now().getTime()): Promise<AccessDecision> {
    const { limit, ttlMs } = this.config.throttle;
    const keys = [sessionKey(userId, sessionId), userKey(userId), throttleKey(userId)] as const;
    let probe;
    try {
      probe = await this.store.accessProbe(keys[0], keys[1], keys[2], ttlMs);
      if (this.degraded) this.reconnected();
    } catch {
      this.degraded = true;
      probe = await this.fallbackCounter.accessProbe('', '', keys[2], ttlMs);
      probe.session = probe.user = null;
    }
    if (probe.hits > limit) return { ok: false, reason: 'throttled', retryAfterS: Math.max(1, Math.ceil(probe.windowMs / 1000)) };
    if (!this.degraded && this.unsyncedSince === 0 && probe.session !== null && probe.user !== null) {
      const decision = decide(probe.session, probe.user, now);
      if (decision) return decision;
    }
    return this.fromDatabase(sessionId, userId, now, !this.degraded && this.unsyncedSince === 0);
  }

  /** The same decision without counting a request (checks made on behalf of another flow). */
  async check(sessionId: string, userId: string, now = this.clock.now().getTime()): Promise<AccessDecision> {
    if (this.unsyncedSince === 0) {
      try {
        const [s, u] = await this.store.mget([sessionKey(userId, sessionId), userKey(userId)]);
        if (this.degraded) return (this.reconnected(), this.fromDatabase(sessionId, userId, now, false));
        const decision = s !== null && u !== null ? decide(s, u, now) : null;
        if (decision) return decision;
      } catch {
        this.degraded = true;
        return this.fromDatabase(sessionId, userId, now, false);
      }
    }
    return this.fromDatabase(sessionId, userId, now, this.unsyncedSince === 0);
  }

  /**
   * After a sign-in or refresh committed: warm the cache so the next request needs no
   * PostgreSQL. Never overwrites a revocation; the user entry is versioned.
   */
  async sessionLive(sessionId: string, expiresAt: Date, user: User): Promise<void> {
    await this.store
      .setUnlessAndIfNewer(
        { key: sessionKey(user.id, sessionId), value: String(expiresAt.getTime()), unless: REVOKED },
        { key: userKey(user.id), version: user.version, payload: userPayload(user) },
        this.ttlMs,
      )
      .catch(() => (this.degraded = true));
  }

  /** After PostgreSQL committed the revocation of these sessions of `userId`. */
  async sessionsRevoked(userId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.push(() => this.markRevoked(ids.map((id) => ({ userId, sessionId: id }))));
  }

  /** After PostgreSQL committed a change of the user (role, status, password, email, profile): see AccessChangeNotifier. */
  @OnEvent(ACCESS_USER_CHANGED, { async: false, promisify: true, suppressErrors: true })
  async userChanged(userId: string): Promise<void> {
    await this.push(() => this.refreshUsers([userId]));
  }

  /** Applies logged changes (the replayer); rejects when the store cannot take them. */
  async apply(revoked: { userId: string; sessionId: string }[], userIds: string[], tx: Tx): Promise<void> {
    await Promise.all([this.markRevoked(revoked), this.refreshUsers(userIds, tx)]);
  }

  /** A push failed at this instant or before: until a replay started after it completes, ask PostgreSQL. */
  get unsynced(): number {
    return this.unsyncedSince;
  }

  /** Called by the replayer when a pass that started at `startedAt` applied everything logged. */
  replayed(startedAt: number): void {
    if (this.unsyncedSince !== 0 && this.unsyncedSince <= startedAt) {
      this.logger.log('Access-state cache caught up with PostgreSQL');
      this.unsyncedSince = 0;
    }
  }

  /**
   * The store answers again after this node could not reach it: what it holds may be older than
   * what PostgreSQL committed meanwhile (by any node), so PostgreSQL decides until a replay of the
   * change log that started after this moment has completed.
   */
  private reconnected(): void {
    this.degraded = false;
    this.unsyncedSince = Date.now();
  }

  private async push(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.degraded = true;
      if (this.unsyncedSince === 0) {
        this.logger.warn(`Access-state cache write failed (${(err as Error).message}); PostgreSQL answers until the change log is replayed`);
      }
      this.unsyncedSince = Date.now();
    }
  }

  private async markRevoked(revoked: { userId: string; sessionId: string }[]): Promise<void> {
    if (revoked.length === 0) return;
    await this.store.setMany(revoked.map((r) => ({ key: sessionKey(r.userId, r.sessionId), value: REVOKED, ttlMs: this.ttlMs })));
  }

  /** Re-reads the users from PostgreSQL and writes each entry by compare-and-set (deleted users: a tombstone). */
  private async refreshUsers(userIds: string[], tx?: Tx): Promise<void> {
    if (userIds.length === 0) return;
    const users = await this.sessions.findUsers(userIds, tx);
    const found = new Set(users.map((u) => u.id));
    await Promise.all([
      ...users.map((u) => this.writeUser(u)),
      ...userIds.filter((id) => !found.has(id)).map((id) => this.store.setIfNewer(userKey(id), DELETED_VERSION, '0|user|null', this.ttlMs)),
    ]);
  }

  private async writeUser(user: User): Promise<void> {
    await this.store.setIfNewer(userKey(user.id), user.version, userPayload(user), this.ttlMs);
  }

  private async fromDatabase(sessionId: string, userId: string, now: number, populate: boolean): Promise<AccessDecision> {
    const state = await this.sessions.findOwnerState(sessionId, userId);
    if (!state) return { ok: false, reason: 'revoked' };
    const s = state.session.revokedAt ? REVOKED : String(state.session.expiresAt.getTime());
    if (populate) {
      // never overwrites a revocation or a newer user written after our read
      await Promise.all([this.store.set(sessionKey(userId, sessionId), s, this.ttlMs, { nx: true }), this.writeUser(state.user)]).catch(
        () => (this.degraded = true),
      );
    }
    return decide(s, `${state.user.version}|${userPayload(state.user)}`, now) ?? { ok: false, reason: 'revoked' };
  }
}

function userPayload(user: User): string {
  return `${user.isActive ? 1 : 0}|${user.role}|${JSON.stringify(UserDto.from(user))}`;
}

/** null: the entry cannot be read (then PostgreSQL decides). */
function decide(s: string, u: string, now: number): AccessDecision | null {
  if (s === REVOKED) return { ok: false, reason: 'revoked' };
  if (Number(s) <= now) return { ok: false, reason: 'expired' };
  // version|active|role|profile
  const a = u.indexOf('|');
  const b = u.indexOf('|', a + 1);
  const c = u.indexOf('|', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  if (u[a + 1] !== '1') return { ok: false, reason: 'disabled' };
  const profile = JSON.parse(u.slice(c + 1)) as UserDto | null;
  if (!profile) return { ok: false, reason: 'disabled' };
  return { ok: true, role: u.slice(b + 1, c) as Role, profile };
}
