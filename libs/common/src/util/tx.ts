import type { EntityManager } from 'typeorm';

/** Something to do once a transaction has committed (never when it rolled back). */
export type AfterCommit = () => Promise<unknown> | unknown;

/**
 * A unit of work in progress (`UnitOfWork.run` in @app/database): the PostgreSQL transaction
 * that repositories write through, and the effects that must follow its commit — a revocation
 * pushed to the access-state cache, say. Whoever makes a change registers its own effects, so
 * no caller has to remember them after the commit.
 */
export interface Tx {
  readonly manager: EntityManager;
  /** Runs after the commit, in registration order; a failure is logged and never undoes the commit. */
  afterCommit(effect: AfterCommit): void;
}
