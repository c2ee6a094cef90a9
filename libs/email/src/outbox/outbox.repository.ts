import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tx } from '@app/common';
import { queryRows } from '@app/database';

export interface ClaimedMail {
  id: string;
  recipient: string;
  template: string;
  sealed: string | null;
  attempts: number;
}

export interface OutboxStats {
  pending: number;
  failed: number;
  oldestPendingAgeSeconds: number | null;
}

/** All SQL of the outbox. Claiming uses FOR UPDATE SKIP LOCKED plus a lease, so any number of
 * API and worker processes can deliver at once without taking the same row. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts a mail inside the caller's transaction; the id is chosen first so the payload can be bound to it. */
  async enqueue(tx: Tx, recipient: string, template: string, seal: (id: string) => string): Promise<string> {
    const id = randomUUID();
    await queryRows(
      tx,
      `INSERT INTO email_outbox (id, recipient, template, payload, status, next_attempt_at) VALUES ($1, $2, $3, $4, 'pending', now())`,
      [id, recipient, template, JSON.stringify({ sealed: seal(id) })],
    );
    return id;
  }

  /** Takes up to `limit` due mails (or mails whose lease ran out) and leases them for `leaseMs`. */
  async claim(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    const claimed = await queryRows(
      this.ds,
      `UPDATE email_outbox o
          SET status = 'sending', attempts = o.attempts + 1, locked_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE o.id IN (
          SELECT id FROM email_outbox
           WHERE (status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND locked_until < now())
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.recipient, o.template, o.payload->>'sealed' AS sealed, o.attempts`,
      [limit, leaseMs],
    );
    return claimed as unknown as ClaimedMail[];
  }

  async markSent(id: string, providerMessageId: string | null): Promise<void> {
    await queryRows(
      this.ds,
      `UPDATE email_outbox SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL,
              provider_message_id = $2, payload = '{}'::jsonb WHERE id = $1`,
      [id, providerMessageId],
    );
  }

  async markRetry(id: string, delayMs: number, error: string): Promise<void> {
    await queryRows(
      this.ds,
      `UPDATE email_outbox SET status = 'pending', locked_until = NULL, last_error = $3,
              next_attempt_at = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1`,
      [id, delayMs, error.slice(0, 500)],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await queryRows(
      this.ds,
      `UPDATE email_outbox SET status = 'failed', locked_until = NULL, last_error = $2, payload = '{}'::jsonb WHERE id = $1`,
      [id, error.slice(0, 500)],
    );
  }

  /** Cheap enough to poll every second: partial indexes, no table scan. */
  async stats(): Promise<OutboxStats> {
    const [r] = (await queryRows(
      this.ds,
      `SELECT (SELECT count(*)::int FROM email_outbox WHERE status = 'pending') AS pending,
              (SELECT count(*)::int FROM email_outbox WHERE status = 'failed') AS failed,
              (SELECT extract(epoch FROM now() - min(next_attempt_at))::float FROM email_outbox WHERE status = 'pending') AS oldest`,
      [],
    )) as { pending: number; failed: number; oldest: number | null }[];
    return { pending: r.pending, failed: r.failed, oldestPendingAgeSeconds: r.oldest === null ? null : Math.max(0, Math.round(r.oldest)) };
  }
}
