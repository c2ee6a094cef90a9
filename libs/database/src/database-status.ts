import type { DataSource } from 'typeorm';
import { MIGRATIONS } from './migrations';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface MigrationStatus {
  applied: number;
  pending: number;
}

interface PgPoolLike {
  totalCount?: number;
  idleCount?: number;
  waitingCount?: number;
}

/**
 * Connection counts of the DataSource's pool: node-postgres' Pool on a real server, the serialised
 * PGlite pool (same getters) in embedded mode. Reads counters only, never touches the database.
 */
export function poolStats(ds: DataSource): PoolStats {
  const pool = (ds.driver as unknown as { master?: PgPoolLike }).master;
  return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
}

/**
 * Migrations recorded in the `migrations` table against those this build ships: `pending` are the
 * shipped ones not applied yet (by name, so a newer node having migrated further is not "pending").
 */
export async function migrationStatus(ds: DataSource): Promise<MigrationStatus> {
  const rows: { name: string }[] = await ds.query(`SELECT name FROM migrations`);
  const applied = new Set(rows.map((r) => r.name));
  const pending = MIGRATIONS.filter((m) => !applied.has(new m().name ?? m.name)).length;
  return { applied: rows.length, pending };
}
