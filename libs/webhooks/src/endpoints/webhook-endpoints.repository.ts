import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Cursor, Tx } from '@app/common';
import { Conditions, keysetPage, queryRows } from '@app/database';
import type { WebhookEventType } from '../webhook-events';
import { WebhookEndpoint, webhookEndpointColumns, webhookEndpointFromRow } from './webhook-endpoint.rows';

export interface NewWebhookEndpoint {
  url: string;
  events: WebhookEventType[];
  description: string | null;
  enabled: boolean;
}

export type WebhookEndpointChanges = Partial<NewWebhookEndpoint>;

const COLUMNS = webhookEndpointColumns('e');

/** All SQL of `webhook_endpoints`. */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts an endpoint; the id is chosen first so the secret can be sealed bound to it. */
  async create(data: NewWebhookEndpoint, seal: (id: string) => string, tx: Tx): Promise<WebhookEndpoint> {
    const id = randomUUID();
    const rows = await queryRows(
      tx,
      `INSERT INTO webhook_endpoints AS e (id, url, events, description, enabled, secret_sealed) VALUES ($1, $2, $3::text[], $4, $5, $6) RETURNING ${COLUMNS}`,
      [id, data.url, data.events, data.description, data.enabled, seal(id)],
    );
    return webhookEndpointFromRow(rows[0]);
  }

  async findById(id: string, tx?: Tx): Promise<WebhookEndpoint | null> {
    const rows = await queryRows(tx ?? this.ds, `SELECT ${COLUMNS} FROM webhook_endpoints e WHERE e.id = $1`, [id]);
    return rows.length ? webhookEndpointFromRow(rows[0]) : null;
  }

  /** The endpoint, locked for a change in `tx` (null when there is none). */
  async lock(id: string, tx: Tx): Promise<WebhookEndpoint | null> {
    const rows = await queryRows(tx, `SELECT ${COLUMNS} FROM webhook_endpoints e WHERE e.id = $1 FOR UPDATE`, [id]);
    return rows.length ? webhookEndpointFromRow(rows[0]) : null;
  }

  /** The endpoints of `ids` that still exist (the delivery job reads them per batch). */
  async findMany(ids: string[]): Promise<WebhookEndpoint[]> {
    if (ids.length === 0) return [];
    const rows = await queryRows(this.ds, `SELECT ${COLUMNS} FROM webhook_endpoints e WHERE e.id = ANY($1::uuid[])`, [ids]);
    return rows.map(webhookEndpointFromRow);
  }

  /** Newest first; `limit + 1` rows. */
  async list(page: { limit: number; cursor?: Cursor }): Promise<WebhookEndpoint[]> {
    const c = new Conditions();
    const tail = keysetPage(c, 'e', page);
    const rows = await queryRows(this.ds, `SELECT ${COLUMNS} FROM webhook_endpoints e ${tail}`, c.params);
    return rows.map(webhookEndpointFromRow);
  }

  /** Applies the given fields (a description may be set to null); resolves the endpoint as it now is. */
  async update(id: string, changes: WebhookEndpointChanges, tx: Tx): Promise<WebhookEndpoint | null> {
    const params: unknown[] = [id];
    const set = ['updated_at = now()'];
    const assign = (column: string, value: unknown, cast = '') => {
      params.push(value);
      set.push(`${column} = $${params.length}${cast}`);
    };
    if (changes.url !== undefined) assign('url', changes.url);
    if (changes.events !== undefined) assign('events', changes.events, '::text[]');
    if (changes.description !== undefined) assign('description', changes.description);
    if (changes.enabled !== undefined) assign('enabled', changes.enabled);
    const rows = await queryRows(tx, `UPDATE webhook_endpoints e SET ${set.join(', ')} WHERE e.id = $1 RETURNING ${COLUMNS}`, params);
    return rows.length ? webhookEndpointFromRow(rows[0]) : null;
  }

  async delete(id: string, tx: Tx): Promise<boolean> {
    return (await queryRows(tx, `DELETE FROM webhook_endpoints WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  /** The enabled endpoints subscribed to `type`, read in the unit of work of the change that emits it. */
  async subscribedTo(type: WebhookEventType, tx?: Tx): Promise<string[]> {
    const rows = await queryRows(tx ?? this.ds, `SELECT id FROM webhook_endpoints WHERE enabled AND $1 = ANY(events)`, [type]);
    return rows.map((r) => r.id as string);
  }
}
