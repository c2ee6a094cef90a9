import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Any constant (distinct from the migration lock): only one node purges at a time. */
const PURGE_LOCK = 724_310_902;

export interface PurgePolicy {
  /** sessions expired or revoked more than this many days ago (their refresh tokens cascade) */
  sessionDays: number;
  /** sealed grace-window successors of refresh tokens used more than this many seconds ago */
  sealedSuccessorSeconds: number;
  /** one-time tokens expired or used more than this many days ago */
  oneTimeTokenDays: number;
  /** lockout counters untouched for this many seconds and not locked */
  loginAttemptSeconds: number;
  /** delivered outbox mails sent more than this many days ago */
  sentMailDays: number;
  /** outbox mails that failed for good, created more than this many days ago */
  failedMailDays: number;
  /** webhook deliveries delivered more than this many days ago */
  deliveredWebhookDays: number;
  /** webhook deliveries that failed for good, created more than this many days ago */
  failedWebhookDays: number;
  /** audit events older than this many days; undefined keeps them forever */
  auditDays?: number;
}

export type PurgeCounts = Record<PurgeStep['name'], number>;

interface PurgeStep {
  name:
    | 'sessions_expired'
    | 'sessions_revoked'
    | 'sealed_successors'
    | 'one_time_tokens_expired'
    | 'one_time_tokens_used'
    | 'login_attempts'
    | 'outbox_sent'
    | 'outbox_failed'
    | 'webhooks_delivered'
    | 'webhooks_failed'
    | 'audit_events';
  /** one bounded batch; `$1` is the age, `$2` the batch size; returns how many rows it touched */
  sql: string;
  age: number;
}

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * The retention SQL of every table, in one place because one job runs it. Each statement touches
 * at most `batchSize` rows found through an index (no table scan, short row locks) and is its own
 * transaction; a step repeats until a batch comes back short or `maxBatches` ran (the next run
 * carries on). Ages are measured with the database's clock, so nodes never disagree.
 */
@Injectable()
export class PurgeRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Runs every step under a session-level advisory lock held on one connection; resolves null
   * without doing anything when another node holds it. The embedded database is one process (and
   * one connection that must not be held for a whole run), so it purges without the lock.
   */
  async purge(policy: PurgePolicy, batchSize: number, maxBatches: number, embedded: boolean): Promise<PurgeCounts | null> {
    if (embedded) return this.runSteps(policy, batchSize, maxBatches, (sql, params) => this.ds.query(sql, params));
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [lock] = await runner.query(`SELECT pg_try_advisory_lock($1) AS ok`, [PURGE_LOCK]);
      if (!lock.ok) return null;
      try {
        return await this.runSteps(policy, batchSize, maxBatches, (sql, params) => runner.query(sql, params));
      } finally {
        await runner.query(`SELECT pg_advisory_unlock($1)`, [PURGE_LOCK]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  private async runSteps(policy: PurgePolicy, batchSize: number, maxBatches: number, query: Query): Promise<PurgeCounts> {
    const counts = {} as PurgeCounts;
    for (const step of steps(policy)) {
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const [row] = (await query(step.sql, [step.age, batchSize])) as { n: number }[];
        total += row.n;
        if (row.n < batchSize) break;
      }
      counts[step.name] = total;
    }
    return counts;
  }
}

const days = `now() - make_interval(days => $1::int)`;
const secs = `now() - make_interval(secs => $1::double precision)`;
const counted = (dml: string) => `WITH d AS (${dml} RETURNING 1) SELECT count(*)::int AS n FROM d`;

function steps(p: PurgePolicy): PurgeStep[] {
  const list: PurgeStep[] = [
    {
      name: 'sessions_expired',
      age: p.sessionDays,
      sql: counted(`DELETE FROM sessions WHERE id = ANY(ARRAY(SELECT id FROM sessions WHERE expires_at < ${days} LIMIT $2))`),
    },
    {
      name: 'sessions_revoked',
      age: p.sessionDays,
      sql: counted(`DELETE FROM sessions WHERE id = ANY(ARRAY(SELECT id FROM sessions WHERE revoked_at < ${days} LIMIT $2))`),
    },
    {
      name: 'sealed_successors',
      age: p.sealedSuccessorSeconds,
      sql: counted(
        `UPDATE refresh_tokens SET successor_sealed = NULL
          WHERE id = ANY(ARRAY(SELECT id FROM refresh_tokens WHERE successor_sealed IS NOT NULL AND used_at < ${secs} LIMIT $2))`,
      ),
    },
    {
      name: 'one_time_tokens_expired',
      age: p.oneTimeTokenDays,
      sql: counted(`DELETE FROM one_time_tokens WHERE id = ANY(ARRAY(SELECT id FROM one_time_tokens WHERE expires_at < ${days} LIMIT $2))`),
    },
    {
      name: 'one_time_tokens_used',
      age: p.oneTimeTokenDays,
      sql: counted(`DELETE FROM one_time_tokens WHERE id = ANY(ARRAY(SELECT id FROM one_time_tokens WHERE used_at < ${days} LIMIT $2))`),
    },
    {
      name: 'login_attempts',
      age: p.loginAttemptSeconds,
      sql: counted(
        `DELETE FROM login_attempts WHERE email_key = ANY(ARRAY(
           SELECT email_key FROM login_attempts
            WHERE updated_at < ${secs} AND (locked_until IS NULL OR locked_until < now()) LIMIT $2))`,
      ),
    },
    {
      name: 'outbox_sent',
      age: p.sentMailDays,
      sql: counted(`DELETE FROM email_outbox WHERE id = ANY(ARRAY(SELECT id FROM email_outbox WHERE status = 'sent' AND sent_at < ${days} LIMIT $2))`),
    },
    {
      name: 'outbox_failed',
      age: p.failedMailDays,
      sql: counted(`DELETE FROM email_outbox WHERE id = ANY(ARRAY(SELECT id FROM email_outbox WHERE status = 'failed' AND created_at < ${days} LIMIT $2))`),
    },
    {
      name: 'webhooks_delivered',
      age: p.deliveredWebhookDays,
      sql: counted(
        `DELETE FROM webhook_deliveries WHERE id = ANY(ARRAY(SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < ${days} LIMIT $2))`,
      ),
    },
    {
      name: 'webhooks_failed',
      age: p.failedWebhookDays,
      sql: counted(
        `DELETE FROM webhook_deliveries WHERE id = ANY(ARRAY(SELECT id FROM webhook_deliveries WHERE status = 'failed' AND created_at < ${days} LIMIT $2))`,
      ),
    },
  ];
  if (p.auditDays !== undefined) {
    list.push({
      name: 'audit_events',
      age: p.auditDays,
      sql: counted(`DELETE FROM audit_events WHERE id = ANY(ARRAY(SELECT id FROM audit_events WHERE created_at < ${days} LIMIT $2))`),
    });
  }
  return list;
}
