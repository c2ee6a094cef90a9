import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getStorageToken } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BreachedPasswords } from '@app/auth';
import { routePatternOf } from '@app/common';
import { OutboxRepository, type OutboxStats } from '@app/email';
import { KeyValueStore } from '@app/redis';
import { AccessStateService, SessionsService } from '@app/sessions';

export type LoginMethod = 'password' | 'oauth';
export type LoginOutcome = 'success' | 'failure' | 'locked';

/** A scrape never waits longer than this on one query; the previous value is served instead. */
const COLLECT_TIMEOUT_MS = 1000;
/** The active-sessions count is shared by scrapes within this window (several scrapers, HA pairs). */
const SESSIONS_CACHE_MS = 10_000;
const OUTBOX_CACHE_MS = 1_000;

/**
 * Prometheus metrics of this process, in a registry of its own (not prom-client's global one:
 * tests run several apps in one process). HTTP traffic is counted by an `onResponse` hook of the
 * request pipeline (so requests refused by guards or hooks, 404s and the excluded /health routes
 * count too) labelled with the route pattern, never the raw URL. Database-backed gauges are computed on scrape, cached briefly.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly logins: Counter<'method' | 'outcome'>;
  private readonly sessionsCount = new CachedValue<number>(SESSIONS_CACHE_MS);
  private readonly outboxStats = new CachedValue<OutboxStats>(OUTBOX_CACHE_MS);
  private throttlerStorage?: { usingFallback?: boolean } | null;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly sessions: SessionsService,
    private readonly outbox: OutboxRepository,
    private readonly store: KeyValueStore,
    private readonly accessState: AccessStateService,
    private readonly breaches: BreachedPasswords,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.logins = new Counter({
      name: 'identity_logins_total',
      help: 'Sign-in attempts by method and outcome (locked: an email was locked out by this attempt)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    for (const outcome of ['success', 'failure', 'locked'] as const) this.logins.inc({ method: 'password', outcome }, 0);

    // prom-client calls collect() with the metric as `this`: the service is reached through `self`
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'identity_active_sessions',
      help: 'Sessions neither revoked nor expired (all nodes; cached for 10 s)',
      registers,
      async collect() {
        const n = await self.sessionsCount.get(() => self.sessions.countActive());
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'identity_outbox_messages',
      help: 'Email outbox rows by status (pending: waiting for delivery or a retry; failed: given up)',
      labelNames: ['status'],
      registers,
      async collect() {
        const s = await self.outboxStats.get(() => self.outbox.stats());
        if (s === undefined) return;
        this.set({ status: 'pending' }, s.pending);
        this.set({ status: 'failed' }, s.failed);
      },
    });
    new Gauge({
      name: 'identity_outbox_oldest_pending_age_seconds',
      help: 'How long the most overdue pending mail has been due (0 when nothing is pending)',
      registers,
      async collect() {
        const s = await self.outboxStats.get(() => self.outbox.stats());
        if (s !== undefined) this.set(s.oldestPendingAgeSeconds ?? 0);
      },
    });
    // the checker keeps plain counts (auth cannot depend on health); the counter catches up on scrape
    const reported: Record<string, number> = {};
    new Counter({
      name: 'identity_pwned_checks_total',
      help: 'Breached-password checks (PWNED_PASSWORDS_URL) by outcome; skipped: the service was unreachable or slower than 2 s',
      labelNames: ['outcome'],
      registers,
      collect() {
        for (const [outcome, n] of Object.entries(self.breaches.counts)) {
          this.inc({ outcome }, n - (reported[outcome] ?? 0));
          reported[outcome] = n;
        }
      },
    });
    new Gauge({
      name: 'identity_redis_fallback',
      help:
        '1 while a component works without Redis: store (the connection is down), access_state (revocation checks ' +
        'ask PostgreSQL), throttler (rate limits count per node); 0 otherwise',
      labelNames: ['component'],
      registers,
      collect() {
        const redis = self.store.mode === 'redis';
        this.set({ component: 'store' }, redis && !self.store.isReady() ? 1 : 0);
        this.set({ component: 'access_state' }, self.accessState.degraded || self.accessState.unsynced > 0 ? 1 : 0);
        this.set({ component: 'throttler' }, redis && self.throttler()?.usingFallback ? 1 : 0);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  recordLogin(method: LoginMethod, outcome: LoginOutcome): void {
    this.logins.inc({ method, outcome });
  }

  /**
   * Fastify `onResponse` hook: one counter increment and one histogram observation per response;
   * the latency is Fastify's, from the moment it took the request.
   */
  readonly observe = (request: FastifyRequest, reply: FastifyReply): void => {
    const labels = { method: request.method, route: routePatternOf(request) ?? 'unmatched', status: String(reply.statusCode) };
    this.requests.inc(labels);
    this.duration.observe(labels, reply.elapsedTime / 1000);
  };

  /** The throttler's storage lives in the auth context; looked up once, by its public token. */
  private throttler(): { usingFallback?: boolean } | null {
    if (this.throttlerStorage === undefined) {
      try {
        this.throttlerStorage = this.moduleRef.get(getStorageToken(), { strict: false });
      } catch {
        this.throttlerStorage = null;
      }
    }
    return this.throttlerStorage;
  }
}

/**
 * A value computed by a query: shared while fresh, computed once at a time, bounded by a timeout;
 * on failure or timeout the last known value is kept (undefined before the first success).
 */
class CachedValue<T> {
  private value?: T;
  private at = 0;
  private inflight?: Promise<T | undefined>;

  constructor(private readonly ttlMs: number) {}

  async get(load: () => Promise<T>): Promise<T | undefined> {
    if (this.value !== undefined && Date.now() - this.at < this.ttlMs) return this.value;
    this.inflight ??= load()
      .then((v) => {
        this.value = v;
        this.at = Date.now();
        return v;
      })
      .catch(() => this.value)
      .finally(() => (this.inflight = undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<T | undefined>((resolve) => (timer = setTimeout(() => resolve(this.value), COLLECT_TIMEOUT_MS)));
    try {
      return await Promise.race([this.inflight, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
