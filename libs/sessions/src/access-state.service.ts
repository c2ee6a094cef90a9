import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type Role } from '@app/common';
import { KeyValueStore, SetEntry } from '@app/redis';
import { SessionsRepository } from './sessions.repository';

export type AccessDecision = { ok: true; role: Role } | { ok: false; reason: 'revoked' | 'expired' | 'disabled' };

const REVOKED = 'r';
const sessionKey = (sid: string) => `as:s:${sid}`;
const userKey = (uid: string) => `as:u:${uid}`;

/**
 * The live state behind every access token, answered in one store round trip (MGET): is the
 * session live, is the user active, what is the user's role now?
 *
 * The store holds a cache that PostgreSQL can always rebuild: a missing entry (first use, Redis
 * restarted empty) is read from PostgreSQL and written back with SET NX, so it can never
 * overwrite a revocation written meanwhile. Revocations and role/status changes are written
 * to PostgreSQL first, then overwrite the cache. When the store is unreachable the check asks
 * PostgreSQL (slower, never fails open); cache writes that failed are retried until they land,
 * and until then this node keeps asking PostgreSQL.
 */
@Injectable()
export class AccessStateService implements OnModuleDestroy {
  private readonly logger = new Logger(AccessStateService.name);
  private readonly ttlMs: number;
  /** cache writes that have not reached the store yet, by key */
  private readonly pending = new Map<string, SetEntry>();
  private retryTimer?: NodeJS.Timeout;
  /** set while the last store call failed: reported by health */
  degraded = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly store: KeyValueStore,
    private readonly sessions: SessionsRepository,
  ) {
    // an entry must outlive every access token that may still ask about it
    this.ttlMs = (config.auth.accessTtl + 60) * 1000;
  }

  async check(sessionId: string, userId: string, now = Date.now()): Promise<AccessDecision> {
    if (this.pending.size === 0) {
      try {
        const [s, u] = await this.store.mget([sessionKey(sessionId), userKey(userId)]);
        this.degraded = false;
        if (s !== null && u !== null) return decide(s, u, now);
      } catch {
        this.degraded = true;
        return this.fromDatabase(sessionId, userId, now, false);
      }
    }
    return this.fromDatabase(sessionId, userId, now, this.pending.size === 0);
  }

  /**
   * After login/refresh: warm the cache so the next request needs no PostgreSQL. Best effort (a
   * miss only costs one query); never overwrites a revocation, and the user entry only fills a
   * gap, since a role change may have landed after our read.
   */
  async sessionLive(sessionId: string, expiresAt: Date, userId: string, role: Role): Promise<void> {
    if (this.pending.size > 0) return;
    await Promise.all([
      this.store.setUnless(sessionKey(sessionId), String(expiresAt.getTime()), this.ttlMs, REVOKED),
      this.store.set(userKey(userId), userValue(role, true), this.ttlMs, { nx: true }),
    ]).catch(() => (this.degraded = true));
  }

  /** After PostgreSQL committed the revocation of these sessions. */
  async sessionsRevoked(ids: string[]): Promise<void> {
    await this.write(ids.map((id) => ({ key: sessionKey(id), value: REVOKED, ttlMs: this.ttlMs })));
  }

  /** After PostgreSQL committed a role or status change. */
  async userChanged(userId: string, role: Role, isActive: boolean): Promise<void> {
    await this.write([{ key: userKey(userId), value: userValue(role, isActive), ttlMs: this.ttlMs }]);
  }

  hasPendingWrites(): number {
    return this.pending.size;
  }

  onModuleDestroy(): void {
    clearTimeout(this.retryTimer);
  }

  private async fromDatabase(sessionId: string, userId: string, now: number, populate: boolean): Promise<AccessDecision> {
    const state = await this.sessions.findOwnerState(sessionId, userId);
    if (!state) return { ok: false, reason: 'revoked' };
    const s = state.session.revokedAt ? REVOKED : String(state.session.expiresAt.getTime());
    const u = userValue(state.userRole, state.userActive);
    if (populate) {
      // NX: never overwrite a revocation or role change that landed after our read
      await Promise.all([
        this.store.set(sessionKey(sessionId), s, this.ttlMs, { nx: true }),
        this.store.set(userKey(userId), u, this.ttlMs, { nx: true }),
      ]).catch(() => (this.degraded = true));
    }
    return decide(s, u, now);
  }

  private async write(entries: SetEntry[]): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) this.pending.set(e.key, e);
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    try {
      await this.store.setMany(batch);
      for (const e of batch) if (this.pending.get(e.key) === e) this.pending.delete(e.key);
      this.degraded = false;
    } catch (err) {
      this.degraded = true;
      if (!this.retryTimer) this.logger.warn(`Access-state cache write failed (${(err as Error).message}); retrying, PostgreSQL answers meanwhile`);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, 500);
    this.retryTimer.unref();
  }
}

function userValue(role: Role, active: boolean): string {
  return `${active ? 1 : 0}:${role}`;
}

function decide(s: string, u: string, now: number): AccessDecision {
  if (s === REVOKED) return { ok: false, reason: 'revoked' };
  if (Number(s) <= now) return { ok: false, reason: 'expired' };
  if (u[0] !== '1') return { ok: false, reason: 'disabled' };
  return { ok: true, role: u.slice(2) as Role };
}
