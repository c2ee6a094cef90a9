import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AfterCommit, Tx } from '@app/common';

/**
 * Transactions with after-commit effects. `run(work)` opens a PostgreSQL transaction, hands
 * `work` a `Tx` (its EntityManager for the repositories, `afterCommit` for the effects) and, once
 * the transaction has committed, runs the effects in order. `run(work, within)` joins a unit of
 * work the caller already has: its effects then wait for that one's commit. A method that makes a
 * change therefore takes an optional `Tx`, joins it, and registers its own effects: it is correct
 * whether it is called on its own or as part of a bigger change.
 *
 * Effects are the fast path of something PostgreSQL already holds durably (the access-state
 * change log, the outbox), so a failing effect is logged and the caller still succeeds.
 */
@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger('UnitOfWork');

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async run<T>(work: (tx: Tx) => Promise<T>, within?: Tx): Promise<T> {
    if (within) return work(within);
    const effects: AfterCommit[] = [];
    const result = await this.ds.transaction((manager) => work({ manager, afterCommit: (effect) => void effects.push(effect) }));
    for (const effect of effects) {
      try {
        await effect();
      } catch (err) {
        this.logger.error(`An after-commit effect failed: ${(err as Error).message}`);
      }
    }
    return result;
  }
}
