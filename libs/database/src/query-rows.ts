import { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { Tx } from '@app/common';

export type Row = Record<string, unknown>;

/**
 * The rows of one raw statement: the way the repositories run raw SQL that returns rows (it also
 * carries the hottest paths: the access-token user read, refresh rotation, the login
 * reservation). On PostgreSQL outside a transaction it goes straight to
 * node-postgres' pool, the same pool TypeORM uses (same limits and timeouts): TypeORM's query
 * runner adds a pool checkout wrapper, logger calls and subscriber broadcasts that cost about
 * 5–10 % of such a request's CPU. Inside a transaction (an EntityManager with a query runner) and
 * in the embedded mode (PGlite, whose connection must be handed out one query runner at a time)
 * it goes through TypeORM. `on` is a DataSource (no transaction) or a unit of work's Tx. UPDATE/DELETE results are normalised to rows either way.
 */
export async function queryRows(on: DataSource | EntityManager | Tx, sql: string, params: unknown[]): Promise<Row[]> {
  const db = on instanceof DataSource || on instanceof EntityManager ? on : on.manager;
  const ds = db instanceof DataSource ? db : db.queryRunner ? undefined : db.connection;
  const pool = ds ? (ds.driver as { master?: unknown }).master : undefined;
  if (pool instanceof Pool) return (await pool.query(sql, params)).rows as Row[];
  const raw = (await db.query(sql, params)) as unknown[];
  return (Array.isArray(raw[0]) ? raw[0] : raw) as Row[];
}

/** A text[] column as node-postgres returns it (an array) or PGlite may (the literal `{a,b}`). */
export function textArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.startsWith('{') && v.endsWith('}')) return v.length > 2 ? v.slice(1, -1).split(',') : [];
  return [];
}
