import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { PeriodicJob } from '@app/common';
import { PurgeCounts, PurgePolicy, PurgeRepository } from './purge.repository';

export const PURGE_OPTIONS = Symbol('PURGE_OPTIONS');

export interface PurgeOptions {
  /** run the job on a timer in this process (the worker; the API only in embedded mode) */
  schedule: boolean;
}

/** How long what is kept after it stopped being useful. */
export const RETENTION = {
  /** ended sessions stay listable by admins (`active=false`) and users' audit stays linkable for a month */
  sessionDays: 30,
  /** a used or expired verification/reset token answers 400 invalid_token either way; a day helps support */
  oneTimeTokenDays: 1,
  sentMailDays: 7,
  failedMailDays: 30,
  /** the deliveries page shows an endpoint's recent history */
  deliveredWebhookDays: 7,
  failedWebhookDays: 30,
  /** added to JWT_REFRESH_GRACE so a clock difference between nodes never cuts a window short */
  sealedSuccessorMarginSeconds: 60,
} as const;

const BATCH_SIZE = 5000;
/** per step and run: at most 500k rows, the next run continues */
const MAX_BATCHES = 100;
const INTERVAL_MS = 5 * 60_000;
const FIRST_RUN_MS = 1_000;

/**
 * The purge job: deletes what has outlived its use (ended sessions with their refresh tokens,
 * one-time tokens, stale lockout counters, delivered mail and webhooks, audit events past
 * AUDIT_RETENTION_DAYS) and clears sealed refresh-token successors after the grace window.
 * Safe on any number of nodes at once: one advisory lock per run, bounded batches.
 */
@Injectable()
export class PurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Purge');
  private readonly job = new PeriodicJob('Purge', this.logger, () => this.purge());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PURGE_OPTIONS) private readonly options: PurgeOptions,
    private readonly repo: PurgeRepository,
  ) {}

  get policy(): PurgePolicy {
    return {
      sessionDays: RETENTION.sessionDays,
      sealedSuccessorSeconds: this.config.auth.refreshGrace + RETENTION.sealedSuccessorMarginSeconds,
      oneTimeTokenDays: RETENTION.oneTimeTokenDays,
      loginAttemptSeconds: this.config.auth.lockoutDuration,
      sentMailDays: RETENTION.sentMailDays,
      failedMailDays: RETENTION.failedMailDays,
      deliveredWebhookDays: RETENTION.deliveredWebhookDays,
      failedWebhookDays: RETENTION.failedWebhookDays,
      auditDays: this.config.retention.auditDays,
    };
  }

  onApplicationBootstrap(): void {
    if (this.options.schedule) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  start(): void {
    this.job.start(INTERVAL_MS, FIRST_RUN_MS);
  }

  /** One run (joins one in flight); resolves with what was removed, or null when another node was purging. */
  runOnce(): Promise<PurgeCounts | null> {
    return this.job.runOnce();
  }

  private async purge(): Promise<PurgeCounts | null> {
    const counts = await this.repo.purge(this.policy, BATCH_SIZE, MAX_BATCHES, this.config.app.embedded);
    if (counts === null) {
      this.logger.debug('Another node holds the purge lock; skipping this run');
    } else {
      const removed = Object.entries(counts).filter(([, n]) => n > 0);
      if (removed.length) this.logger.log(`Purged ${removed.map(([k, n]) => `${k}=${n}`).join(' ')}`);
    }
    return counts;
  }
}
