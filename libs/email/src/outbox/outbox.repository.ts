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

/** Who holds a claimed mail: its id and the attempt number its claim gave it. */
export interface OutboxLease {
  id: string;
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
    await queryRows(tx, `INSERT INTO email_outbox (id, recipient, template, payload, status, next_attempt_at) VALUES ($1, $2, $3, $4, 'pending', now())`, [
      id,
      recipient,
      template,
      JSON.stringify({ sealed: seal(id) }),
    ]);
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

  /*
   * The three outcomes are fenced by the lease: they apply only while the mail is still `sending`
   * under the claim that took it (its attempt number). A worker whose lease ran out while it was
   * still sending (a stall past LEASE_MS) finds the mail taken over and changes nothing, so it
   * cannot put a mail another worker delivered back to pending (with its payload already wiped)
   * or overwrite a newer outcome. Each resolves whether the outcome was recorded.
   */

  async markSent(lease: OutboxLease, providerMessageId: string | null): Promise<boolean> {
    const rows = await queryRows(
      this.ds,
      `UPDATE email_outbox SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL,
              provider_message_id = $3, payload = '{}'::jsonb
        WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [lease.id, lease.attempts, providerMessageId],
    );
    return rows.length > 0;
  }

  async markRetry(lease: OutboxLease, delayMs: number, error: string): Promise<boolean> {
    const rows = await queryRows(
      this.ds,
      `UPDATE email_outbox SET status = 'pending', locked_until = NULL, last_error = $4,
              next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [lease.id, lease.attempts, delayMs, error.slice(0, 500)],
    );
    return rows.length > 0;
  }

  async markFailed(lease: OutboxLease, error: string): Promise<boolean> {
    const rows = await queryRows(
      this.ds,
      `UPDATE email_outbox SET status = 'failed', locked_until = NULL, last_error = $3, payload = '{}'::jsonb
        WHERE id = $1 AND status = 'sending' AND attempts = $2 RETURNING id`,
      [lease.id, lease.attempts, error.slice(0, 500)],
    );
    return rows.length > 0;
  }

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
