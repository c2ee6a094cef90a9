import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob } from '@app/common';
import { UnitOfWork } from '@app/database';
import { AccessChangesRepository } from './access-changes.repository';
import { AccessStateService } from './access-state.service';

/** How often every node looks at the change log, and how old a change must be to be its business. */
export const ACCESS_REPLAY_INTERVAL_MS = 500;
const BATCH = 500;

/**
 * Applies to the access-state cache every change PostgreSQL logged (`access_changes`) and deletes
 * it once the cache has it. The committing node pushes each change itself right after the commit;
 * this is the durable path for what that push missed (Redis unreachable, the node killed between
 * commit and push). Changes younger than the interval are left to their own node's push, unless
 * this node's own push failed. Runs on every API node and in the worker; `SKIP LOCKED` keeps
 * nodes off each other's rows, and applying a change twice is harmless (revocations are final,
 * user entries are versioned).
 */
@Injectable()
export class AccessChangesReplayer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AccessChangesReplayer.name);
  private readonly job = new PeriodicJob('Access-change replay', this.logger, () => this.replay());

  constructor(
    private readonly uow: UnitOfWork,
    private readonly changes: AccessChangesRepository,
    private readonly accessState: AccessStateService,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(ACCESS_REPLAY_INTERVAL_MS, ACCESS_REPLAY_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    await this.job.stop();
  }

  /** One pass (joins one in flight; also callable from tests); resolves how many changes were applied. */
  replayOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async replay(): Promise<number> {
    const startedAt = Date.now();
    const minAge = this.accessState.unsynced ? 0 : ACCESS_REPLAY_INTERVAL_MS;
    let applied = 0;
    for (;;) {
      const n = await this.uow.run(async (tx) => {
        const batch = await this.changes.claim(tx, minAge, BATCH);
        if (batch.length === 0) return 0;
        const revoked = batch.filter((c) => c.sessionId).map((c) => ({ userId: c.userId, sessionId: c.sessionId! }));
        const users = [...new Set(batch.filter((c) => !c.sessionId).map((c) => c.userId))];
        await this.accessState.apply(revoked, users, tx);
        await this.changes.delete(
          tx,
          batch.map((c) => c.id),
        );
        return batch.length;
      });
      applied += n;
      if (n < BATCH) break;
    }
    this.accessState.replayed(startedAt);
    return applied;
  }
}
