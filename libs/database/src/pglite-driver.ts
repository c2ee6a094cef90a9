import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { getPGliteInstance, PGliteDriver } from 'typeorm-pglite';
import { lockEmbeddedDatabase } from './embedded-lock';

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * typeorm-pglite hands every query runner the same PGlite connection, so two concurrent
 * transactions would interleave on it. This pool gives the connection to one query runner at a
 * time (a pool of one), which keeps transactions isolated in the embedded mode.
 */
class SerializedPGlitePool extends EventEmitter {
  /** set by `embeddedPostgresDriver`: gives the data directory back once the database is closed */
  static releaseLock: () => void = () => undefined;
  private tail: Promise<void> = Promise.resolve();
  waiting = 0;
  busy = false;

  connect(callback: (err: Error | null, client: unknown, release: () => void) => void): void {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    this.waiting++;
    void previous.then(async () => {
      this.waiting--;
      this.busy = true;
      let done = false;
      const releaseOnce = () => {
        if (done) return;
        done = true;
        this.busy = false;
        release();
      };
      try {
        await getPGliteInstance();
        callback(null, this, releaseOnce);
      } catch (err) {
        releaseOnce();
        callback(err as Error, null, () => undefined);
      }
    });
  }

  query(sql: string, params?: unknown[] | Callback, cb?: Callback): Promise<unknown> {
    const callback = typeof params === 'function' ? params : cb;
    const values = Array.isArray(params) && params.length > 0 ? params : undefined;
    const run = getPGliteInstance().then((db) => (values ? db.query(sql, values) : db.exec(sql).then((r) => r[r.length - 1] ?? { rows: [] })));
    return run.then(
      (result) => {
        callback?.(null, result);
        return result;
      },
      (err) => {
        callback?.(err);
        throw err;
      },
    );
  }

  end(callback?: (err: Error | null) => void): void {
    getPGliteInstance()
      .then((db) => db.close())
      .then(
        () => {
          SerializedPGlitePool.releaseLock();
          callback?.(null);
        },
        (err) => callback?.(err),
      );
  }

  get totalCount() {
    return 1;
  }
  get idleCount() {
    return this.busy ? 0 : 1;
  }
  get waitingCount() {
    return this.waiting;
  }
}

/**
 * The `driver` option for TypeORM's postgres dialect backed by PGlite stored in `dataDir`. Takes
 * the directory's lock first (`lockEmbeddedDatabase`): EmbeddedDatabaseBusyError when another
 * process has it open.
 */
export function embeddedPostgresDriver(dataDir: string): unknown {
  mkdirSync(dataDir, { recursive: true });
  SerializedPGlitePool.releaseLock = lockEmbeddedDatabase(dataDir, dirname(dataDir));
  // pg_trgm backs the trigram indexes of the admin user search, as on a real server
  new PGliteDriver({ dataDir, extensions: { pg_trgm } });
  return { Pool: SerializedPGlitePool };
}
