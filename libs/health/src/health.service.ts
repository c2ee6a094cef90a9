import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { migrationStatus, type MigrationStatus, poolStats } from '@app/database';
import { MailTransport, OutboxRepository } from '@app/email';
import { KeyValueStore } from '@app/redis';
import type { DatabaseCheckDto, DetailedHealthDto, EmailCheckDto, RedisCheckDto } from './health.dto';

/** Each probe gets this long; a slower dependency counts as down for this answer. */
const CHECK_TIMEOUT_MS = 1000;
/** The outbox is "backing up" when its most overdue pending mail has waited longer than this. */
export const OUTBOX_BACKLOG_SECONDS = 300;
const LOOP_RESOLUTION_MS = 10;
/** event-loop lag is the p99 over a window of about this length */
const LOOP_WINDOW_MS = 5000;
const MIGRATIONS_RECHECK_MS = 30_000;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1024 / 1024);

/**
 * The detailed health report. Cheap enough to poll every second: `SELECT 1`, a Redis PING, the
 * outbox counters (partial indexes), counters the process keeps anyway; migrations are read once
 * (again only while some are pending). A probe still in flight is shared by the next caller
 * rather than started twice, so a hanging dependency cannot pile up connections.
 */
@Injectable()
export class HealthService implements OnModuleDestroy {
  private readonly loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private loopWindowStarted = performance.now();
  private lastLagMs = 0;
  private migrations?: { value: MigrationStatus; at: number };
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly store: KeyValueStore,
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
  ) {
    this.loop.enable();
  }

  onModuleDestroy(): void {
    this.loop.disable();
  }

  async detailed(): Promise<DetailedHealthDto> {
    const [database, redis, email] = await Promise.all([this.database(), this.redis(), this.email()]);
    const status = database.status === 'down' ? 'unhealthy' : redis.status !== 'up' || email.status !== 'up' ? 'degraded' : 'healthy';
    const memory = process.memoryUsage();
    return {
      status,
      version: this.config.app.version,
      environment: this.config.app.nodeEnv,
      uptime_s: Math.floor(process.uptime()),
      checks: {
        database,
        redis,
        email,
        memory: { rss_mb: mb(memory.rss), heap_used_mb: mb(memory.heapUsed) },
        event_loop: { lag_ms: this.eventLoopLagMs() },
      },
    };
  }

  async database(): Promise<DatabaseCheckDto> {
    const pool = poolStats(this.ds);
    const started = performance.now();
    try {
      await this.probe('database', () => this.ds.query('SELECT 1'));
      const latency = round(performance.now() - started);
      return { status: 'up', latency_ms: latency, pool, migrations: await this.migrationStatus() };
    } catch {
      const known = this.migrations?.value;
      return { status: 'down', latency_ms: null, pool, migrations: { applied: known?.applied ?? null, pending: known?.pending ?? null } };
    }
  }

  async redis(): Promise<RedisCheckDto> {
    if (this.store.mode === 'in-process') return { status: 'up', latency_ms: 0, mode: 'in-process' };
    if (!this.store.isReady()) return { status: 'down', latency_ms: null, mode: 'unavailable' };
    try {
      const latency = await this.probe('redis', () => this.store.ping());
      return { status: 'up', latency_ms: round(latency), mode: 'redis' };
    } catch {
      return { status: 'down', latency_ms: null, mode: 'unavailable' };
    }
  }

  async email(): Promise<EmailCheckDto> {
    const provider = this.transport.provider;
    try {
      const s = await this.probe('outbox', () => this.outbox.stats());
      const backingUp = (s.oldestPendingAgeSeconds ?? 0) > OUTBOX_BACKLOG_SECONDS;
      return {
        status: backingUp ? 'degraded' : 'up',
        provider,
        outbox: { pending: s.pending, failed: s.failed, oldest_pending_age_s: s.oldestPendingAgeSeconds },
      };
    } catch {
      return { status: 'down', provider, outbox: { pending: null, failed: null, oldest_pending_age_s: null } };
    }
  }

  /** p99 of the event-loop delay beyond the sampling interval, over the current window. */
  private eventLoopLagMs(): number {
    const h = this.loop;
    const lag = h.count > 0 ? Math.max(0, h.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) : this.lastLagMs;
    if (performance.now() - this.loopWindowStarted >= LOOP_WINDOW_MS && h.count > 0) {
      this.lastLagMs = lag;
      h.reset();
      this.loopWindowStarted = performance.now();
    }
    return round(lag);
  }

  private async migrationStatus(): Promise<MigrationStatus> {
    const cached = this.migrations;
    if (cached && (cached.value.pending === 0 || Date.now() - cached.at < MIGRATIONS_RECHECK_MS)) return cached.value;
    const value = await this.probe('migrations', () => migrationStatus(this.ds));
    this.migrations = { value, at: Date.now() };
    return value;
  }

  /** Runs `fn` unless the same probe is still in flight (then waits for that one), within the timeout. */
  private probe<T>(name: string, fn: () => Promise<T>): Promise<T> {
    let running = this.inflight.get(name) as Promise<T> | undefined;
    if (!running) {
      running = fn().finally(() => this.inflight.delete(name));
      this.inflight.set(name, running);
      running.catch(() => undefined);
    }
    return withTimeout(running, CHECK_TIMEOUT_MS, name);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
