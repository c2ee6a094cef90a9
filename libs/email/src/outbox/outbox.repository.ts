import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tx } from '@app/common';
import { queryRows } from '@app/database';
import { type OutboxLease, OutboxQueue } from './outbox-queue';

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

/** All SQL of the mail outbox; claiming and the lease-fenced outcomes are the shared OutboxQueue's. */
@Injectable()
export class OutboxRepository {
  private readonly queue: OutboxQueue;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    this.queue = new OutboxQueue(ds, 'email_outbox', `o.id, o.recipient, o.template, o.payload->>'sealed' AS sealed, o.attempts`);
  }

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
    return (await this.queue.claim(limit, leaseMs)) as unknown as ClaimedMail[];
  }

  /* The outcomes apply only while the claim holds (OutboxQueue); sent and failed wipe the sealed payload. */

  markSent(lease: OutboxLease, providerMessageId: string | null): Promise<boolean> {
    return this.queue.settle(lease, `status = 'sent', sent_at = now(), last_error = NULL, provider_message_id = $3, payload = '{}'::jsonb`, [
      providerMessageId,
    ]);
  }

  markRetry(lease: OutboxLease, delayMs: number, error: string): Promise<boolean> {
    return this.queue.retry(lease, delayMs, error);
  }

  markFailed(lease: OutboxLease, error: string): Promise<boolean> {
    return this.queue.fail(lease, error, `payload = '{}'::jsonb`);
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
