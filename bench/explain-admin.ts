/**
 * EXPLAIN (ANALYZE, BUFFERS) of every admin listing on a seeded database (see bench/seed.ts):
 * the SQL is captured from the real repositories (UsersRepository, SessionsRepository,
 * AuditRepository) rather than rewritten here, for each filter, first page and a later page.
 * Prints one line per query: plan nodes (with index names), rows returned, execution time (warm:
 * second run). `--plans` also prints the full text plans.
 *
 *   DATABASE_URL=postgres://… TS_NODE_TRANSPILE_ONLY=1 TS_NODE_SWC=1 \
 *     node -r ts-node/register -r tsconfig-paths/register bench/explain-admin.ts [--plans]
 *
 * A bench tool, not a lib: it imports repository files directly because it measures exactly them.
 */
import 'reflect-metadata';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { type AccessChangeNotifier, type Cursor, encodeCursor } from '@app/common';
import { UsersRepository } from '@app/users';
import { SessionsRepository } from '../libs/sessions/src/sessions.repository';
import { AuditRepository } from '../libs/audit/src/audit.repository';

const LIMIT = 20;
const showPlans = process.argv.includes('--plans');

class Capture implements TypeOrmLogger {
  on = false;
  last?: { sql: string; params: unknown[] };
  logQuery(query: string, parameters?: unknown[]): void {
    if (this.on) this.last = { sql: query, params: parameters ?? [] };
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode, out: string[] = []): string[] {
  const label = plan['Index Name']
    ? `${plan['Node Type']}(${plan['Index Name']})`
    : plan['Relation Name']
      ? `${plan['Node Type']}(${plan['Relation Name']})`
      : plan['Node Type'];
  out.push(label);
  for (const child of plan.Plans ?? []) nodes(child, out);
  return out;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const capture = new Capture();
  const ds = await new DataSource({
    type: 'postgres',
    url,
    logging: ['query'],
    logger: capture,
  }).initialize();
  // the repositories' statements go straight to node-postgres' pool (queryRows): capture them there
  const pool = (ds.driver as unknown as { master: { query: (sql: string, params?: unknown[]) => Promise<unknown> } }).master;
  const poolQuery = pool.query.bind(pool);
  pool.query = (sql: string, params?: unknown[]) => {
    capture.logQuery(sql, params);
    return poolQuery(sql, params);
  };
  const users = new UsersRepository(ds, { userChanged: async () => undefined } as unknown as AccessChangeNotifier);
  const sessions = new SessionsRepository(ds);
  const audit = new AuditRepository(ds);

  const one = async <T>(sql: string): Promise<T> => (await ds.query(sql))[0] as T;
  const admin = await one<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1`);
  const busyUser = await one<{ user_id: string }>(`SELECT user_id FROM sessions GROUP BY user_id ORDER BY count(*) DESC LIMIT 1`);
  const target = await one<{ target_user_id: string }>(`SELECT target_user_id FROM audit_events WHERE target_user_id IS NOT NULL LIMIT 1 OFFSET 1000`);
  const someEmail = await one<{ email: string }>(`SELECT email FROM users ORDER BY created_at LIMIT 1 OFFSET 4321`);
  const selectiveQ = someEmail.email.split('@')[0];
  const day = await one<{ from: Date; to: Date }>(
    `SELECT date_trunc('day', now() - interval '100 days') AS from, date_trunc('day', now() - interval '99 days') AS to`,
  );
  const now = new Date();

  const stats = await one<Record<string, number>>(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM audit_events)::int AS audit_events`,
  );
  console.log(`volume: ${JSON.stringify(stats)}; selective q="${selectiveQ}"`);

  type Row = { createdAt: Date; id: string };
  const cases: [string, (cursor?: Cursor) => Promise<Row[]>][] = [
    ['users', (cursor) => users.list({ limit: LIMIT, cursor })],
    [`users q=${selectiveQ} (selective)`, (cursor) => users.list({ q: selectiveQ, limit: LIMIT, cursor })],
    ['users q=lovelace (5 %, name+email)', (cursor) => users.list({ q: 'lovelace', limit: LIMIT, cursor })],
    ['users q=example (all rows match)', (cursor) => users.list({ q: 'example', limit: LIMIT, cursor })],
    ['users role=guest', (cursor) => users.list({ role: 'guest', limit: LIMIT, cursor })],
    ['users role=admin', (cursor) => users.list({ role: 'admin', limit: LIMIT, cursor })],
    ['users is_active=false', (cursor) => users.list({ isActive: false, limit: LIMIT, cursor })],
    ['users is_active=true', (cursor) => users.list({ isActive: true, limit: LIMIT, cursor })],
    ['users role=user&is_active=false', (cursor) => users.list({ role: 'user', isActive: false, limit: LIMIT, cursor })],
    ['sessions', (cursor) => sessions.list({ now, limit: LIMIT, cursor })],
    ['sessions user_id', (cursor) => sessions.list({ userId: busyUser.user_id, now, limit: LIMIT, cursor })],
    ['sessions active=true', (cursor) => sessions.list({ active: true, now, limit: LIMIT, cursor })],
    ['sessions active=false', (cursor) => sessions.list({ active: false, now, limit: LIMIT, cursor })],
    ['sessions user_id&active=true', (cursor) => sessions.list({ userId: busyUser.user_id, active: true, now, limit: LIMIT, cursor })],
    ['audit', (cursor) => audit.list({ limit: LIMIT, cursor })],
    ['audit event=auth.login', (cursor) => audit.list({ event: 'auth.login', limit: LIMIT, cursor })],
    ['audit event=admin.session_revoked', (cursor) => audit.list({ event: 'admin.session_revoked', limit: LIMIT, cursor })],
    ['audit actor_id (admin)', (cursor) => audit.list({ actorId: admin.id, limit: LIMIT, cursor })],
    ['audit target_user_id', (cursor) => audit.list({ targetUserId: target.target_user_id, limit: LIMIT, cursor })],
    ['audit outcome=failure', (cursor) => audit.list({ outcome: 'failure', limit: LIMIT, cursor })],
    ['audit from/to (one day)', (cursor) => audit.list({ from: day.from, to: day.to, limit: LIMIT, cursor })],
    ['audit event+outcome', (cursor) => audit.list({ event: 'auth.login', outcome: 'failure', limit: LIMIT, cursor })],
    ['audit event+from/to', (cursor) => audit.list({ event: 'auth.login', from: day.from, to: day.to, limit: LIMIT, cursor })],
    ['audit target+event', (cursor) => audit.list({ targetUserId: target.target_user_id, event: 'auth.login', limit: LIMIT, cursor })],
  ];

  const explain = async (name: string, sql: string, params: unknown[]) => {
    let result: { Plan: PlanNode; 'Execution Time': number; 'Planning Time': number } | undefined;
    for (let i = 0; i < 2; i++) {
      const [row] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
      result = (row['QUERY PLAN'] ?? row)[0];
    }
    const plan = result!;
    console.log(
      `${name.padEnd(52)} ${String(plan.Plan['Actual Rows']).padStart(3)} rows  ${plan['Execution Time'].toFixed(3).padStart(8)} ms  ${nodes(plan.Plan).join(' > ')}`,
    );
    if (showPlans) {
      const text = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      console.log(text.map((r: Record<string, string>) => `    ${r['QUERY PLAN']}`).join('\n'));
    }
  };

  for (const [name, run] of cases) {
    capture.on = true;
    const first = await run();
    const firstSql = capture.last!;
    let second: typeof firstSql | undefined;
    if (first.length > LIMIT) {
      await run(first[LIMIT - 1]);
      second = capture.last!;
    }
    capture.on = false;
    await explain(`${name} (page 1)`, firstSql.sql, firstSql.params);
    if (second) await explain(`${name} (page 2, cursor ${encodeCursor(first[LIMIT - 1]).slice(0, 8)}…)`, second.sql, second.params);
  }

  // the gauges and the health report poll these
  await explain('active sessions count (metrics gauge)', `SELECT count(*)::int AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > $1`, [now]);
  await explain(
    'outbox stats (health, metrics)',
    `SELECT (SELECT count(*)::int FROM email_outbox WHERE status = 'pending') AS pending,
            (SELECT count(*)::int FROM email_outbox WHERE status = 'failed') AS failed,
            (SELECT extract(epoch FROM now() - min(next_attempt_at))::float FROM email_outbox WHERE status = 'pending') AS oldest`,
    [],
  );
  // purge batches (same statements as libs/retention's PurgeRepository), inside a rolled-back transaction
  const runner = ds.createQueryRunner();
  await runner.startTransaction();
  try {
    for (const [name, sql] of [
      [
        'purge sessions expired (batch)',
        `DELETE FROM sessions WHERE id = ANY(ARRAY(SELECT id FROM sessions WHERE expires_at < now() - make_interval(days => 30) LIMIT 5000))`,
      ],
      [
        'purge sessions revoked (batch)',
        `DELETE FROM sessions WHERE id = ANY(ARRAY(SELECT id FROM sessions WHERE revoked_at < now() - make_interval(days => 30) LIMIT 5000))`,
      ],
      [
        'purge audit older than 300 days (batch)',
        `DELETE FROM audit_events WHERE id = ANY(ARRAY(SELECT id FROM audit_events WHERE created_at < now() - make_interval(days => 300) LIMIT 5000))`,
      ],
    ]) {
      const [row] = await runner.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
      const plan = (row['QUERY PLAN'] ?? row)[0];
      console.log(`${name.padEnd(52)}          ${plan['Execution Time'].toFixed(3).padStart(8)} ms  ${nodes(plan.Plan).join(' > ')}`);
    }
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
  await ds.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
