import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Cursor, Tx } from '@app/common';
import { Conditions, keysetPage, queryRows } from '@app/database';
import { type OutboxLease, OutboxQueue } from '@app/email';
import { WebhookDelivery, webhookDeliveryColumns, webhookDeliveryFromRow } from './webhook-delivery.rows';

/** A delivery taken by the job: what it sends, under the lease of its claim. */
export interface ClaimedDelivery extends OutboxLease {
  endpointId: string;
  event: string;
  /** the exact body, identical on every attempt */
  payload: string;
}

/**
 * All SQL of `webhook_deliveries`: an outbox with the mail outbox's mechanics (OutboxQueue:
 * SKIP LOCKED claim, lease, fenced outcomes), written in the transaction of the change.
 */
@Injectable()
export class WebhookDeliveriesRepository {
  private readonly queue: OutboxQueue;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    this.queue = new OutboxQueue(ds, 'webhook_deliveries', 'o.id, o.endpoint_id, o.event, o.payload, o.attempts');
  }

  /** One delivery per endpoint, in the caller's unit of work when given; resolves their ids (each the `webhook-id`). */
  async enqueue(endpointIds: string[], event: string, payload: string, tx?: Tx): Promise<string[]> {
    const rows = await queryRows(
      tx ?? this.ds,
      `INSERT INTO webhook_deliveries (endpoint_id, event, payload) SELECT e, $2, $3 FROM unnest($1::uuid[]) AS e RETURNING id`,
      [endpointIds, event, payload],
    );
    return rows.map((r) => r.id as string);
  }

  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows = await this.queue.claim(limit, leaseMs);
    return rows.map((r) => ({
      id: r.id as string,
      endpointId: r.endpoint_id as string,
      event: r.event as string,
      payload: r.payload as string,
      attempts: Number(r.attempts),
    }));
  }

  /* The outcomes apply only while the claim holds (OutboxQueue). */

  markDelivered(lease: OutboxLease, statusCode: number): Promise<boolean> {
    return this.queue.settle(lease, `status = 'delivered', delivered_at = now(), last_error = NULL, last_status_code = $3`, [statusCode]);
  }

  markRetry(lease: OutboxLease, delayMs: number, error: string, statusCode: number | null): Promise<boolean> {
    return this.queue.retry(lease, delayMs, error, 'last_status_code = $5', [statusCode]);
  }

  markFailed(lease: OutboxLease, error: string, statusCode: number | null): Promise<boolean> {
    return this.queue.fail(lease, error, 'last_status_code = $4', [statusCode]);
  }

  /** The deliveries of one endpoint, newest first; `limit + 1` rows. */
  async listForEndpoint(endpointId: string, page: { limit: number; cursor?: Cursor }): Promise<WebhookDelivery[]> {
    const c = new Conditions();
    c.add(`d.endpoint_id = ${c.param(endpointId)}`);
    const tail = keysetPage(c, 'd', page);
    const rows = await queryRows(this.ds, `SELECT ${webhookDeliveryColumns('d')} FROM webhook_deliveries d ${tail}`, c.params);
    return rows.map(webhookDeliveryFromRow);
  }

  /** With its endpoint (there is no foreign key: see the migration). */
  async deleteForEndpoint(endpointId: string, tx: Tx): Promise<number> {
    return (await queryRows(tx, `DELETE FROM webhook_deliveries WHERE endpoint_id = $1 RETURNING id`, [endpointId])).length;
  }
}
