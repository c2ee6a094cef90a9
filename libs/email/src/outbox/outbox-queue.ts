import type { DataSource } from 'typeorm';
import { queryRows, type Row } from '@app/database';

/** Who holds a claimed row: its id and the attempt number its claim gave it. */
export interface OutboxLease {
  id: string;
  attempts: number;
}

const MAX_DELAY_MS = 3_600_000;

/** Exponential backoff with jitter: base·2^(attempt-1), capped at an hour. */
export function retryDelayMs(attempt: number, baseMs: number, random = Math.random): number {
  const exp = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/**
 * The mechanics every outbox table shares — `email_outbox` (mail) and `webhook_deliveries`
 * (webhooks): rows written in the transaction of the change that needs them, then claimed with
 * FOR UPDATE SKIP LOCKED plus a lease, so any number of API and worker processes can deliver at
 * once without taking the same row, and settled by outcomes fenced by that lease.
 *
 * A table served by it has `id uuid`, `status` ('pending', 'sending' and final states of its
 * own), `attempts int`, `next_attempt_at`, `locked_until` and `last_error varchar(500)`, with
 * partial indexes on `next_attempt_at WHERE status = 'pending'` and `locked_until WHERE status
 * = 'sending'`. Table and column names are constants of the code, never input.
 */
export class OutboxQueue {
  constructor(
    private readonly ds: DataSource,
    private readonly table: string,
    /** the columns `claim` returns (`o.` is the claimed row) */
    private readonly claimed: string,
  ) {}

  /** Takes up to `limit` due rows (or rows whose lease ran out), counts the attempt and leases them for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<Row[]> {
    return queryRows(
      this.ds,
      `UPDATE ${this.table} o
          SET status = 'sending', attempts = o.attempts + 1, locked_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE o.id IN (
          SELECT id FROM ${this.table}
           WHERE (status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND locked_until < now())
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING ${this.claimed}`,
      [limit, leaseMs],
    );
  }

  /*
   * The outcomes are fenced by the lease: they apply only while the row is still `sending` under
   * the claim that took it (its attempt number). A deliverer whose lease ran out while it was
   * still sending (a stall past the lease) finds the row taken over and changes nothing, so it
   * cannot put a row another deliverer finished back to pending or overwrite a newer outcome.
   * Each resolves whether the outcome was recorded.
   */

  /** Records a final outcome: `set` are the assignments (status included), its parameters numbered from $3. */
  async settle(lease: OutboxLease, set: string, params: unknown[] = []): Promise<boolean> {
    const rows = await queryRows(
      this.ds,
      `UPDATE ${this.table} SET locked_until = NULL, ${set} WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [lease.id, lease.attempts, ...params],
    );
    return rows.length > 0;
  }

  /** Back to pending, due again in `delayMs`; `set` adds assignments with parameters from $5. */
  retry(lease: OutboxLease, delayMs: number, error: string, set = '', params: unknown[] = []): Promise<boolean> {
    return this.settle(
      lease,
      `status = 'pending', last_error = $3, next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)${set ? `, ${set}` : ''}`,
      [error.slice(0, 500), delayMs, ...params],
    );
  }

  /** Failed for good; `set` adds assignments with parameters from $4. */
  fail(lease: OutboxLease, error: string, set = '', params: unknown[] = []): Promise<boolean> {
    return this.settle(lease, `status = 'failed', last_error = $3${set ? `, ${set}` : ''}`, [error.slice(0, 500), ...params]);
  }
}

/**
 * One delivery pass: claims batches and delivers each batch's rows concurrently, until nothing is
 * due or the job is stopping; resolves with the number of rows handled.
 */
export async function drainOutbox<T>(claim: () => Promise<T[]>, deliver: (row: T) => Promise<void>, stopped: () => boolean): Promise<number> {
  let handled = 0;
  for (;;) {
    const batch = await claim();
    if (batch.length === 0) return handled;
    await Promise.all(batch.map(deliver));
    handled += batch.length;
    if (stopped()) return handled;
  }
}
