import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conditions, keysetPage, queryRows } from '@app/database';
import type { Cursor, DomainEvent, Tx } from '@app/common';
import { AuditEvent, auditEventColumns, auditEventFromRow } from './audit-event.rows';

export interface AuditFilter {
  event?: string;
  actorId?: string;
  targetUserId?: string;
  outcome?: 'success' | 'failure';
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: Cursor;
}

const SECRET_KEYS = /pass(word)?|token|secret|hash|code|cookie|authorization/i;

/** Drops anything that looks like a secret from metadata, at any depth. */
export function scrubMetadata(value: unknown): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!SECRET_KEYS.test(k)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return (walk(value ?? {}) as Record<string, unknown>) ?? {};
}

const INSERT_SQL = `INSERT INTO audit_events (event, outcome, actor_id, target_user_id, session_id, ip, user_agent, metadata)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`;

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Raw SQL (one prepared-shape statement, no RETURNING): every audited request pays for this
   * insert, most inside the transaction of the change it records.
   */
  async insert(e: DomainEvent, tx?: Tx): Promise<void> {
    await queryRows(tx ?? this.ds, INSERT_SQL, [
      e.name,
      e.outcome,
      e.actorId ?? null,
      e.targetUserId ?? null,
      e.sessionId ?? null,
      e.ip ?? null,
      e.userAgent ? e.userAgent.slice(0, 512) : null,
      JSON.stringify(scrubMetadata(e.metadata)),
    ]);
  }

  /** Newest first on (created_at, id); every filter combination stays an index range scan. */
  async list(f: AuditFilter): Promise<AuditEvent[]> {
    const c = new Conditions();
    if (f.event) c.add(`a.event = ${c.param(f.event)}`);
    if (f.actorId) c.add(`a.actor_id = ${c.param(f.actorId)}::uuid`);
    if (f.targetUserId) c.add(`a.target_user_id = ${c.param(f.targetUserId)}::uuid`);
    if (f.outcome) c.add(`a.outcome = ${c.param(f.outcome)}`);
    if (f.from) c.add(`a.created_at >= ${c.param(f.from)}`);
    if (f.to) c.add(`a.created_at < ${c.param(f.to)}`);
    const tail = keysetPage(c, 'a', f);
    const rows = await queryRows(this.ds, `SELECT ${auditEventColumns('a')} FROM audit_events a ${tail}`, c.params);
    return rows.map(auditEventFromRow);
  }
}
