import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as argon2 from 'argon2';
import { query } from '../../test/support/database';
import { ROOT, runToExit, tsNode } from '../../test/support/processes';
import { log } from './log';
import { ARGON2 } from './servers';

export const PASSWORD = 'Correct-Horse-7';
export const LOGIN_USERS = 256;

/**
 * login1..256@bench.test and admin@bench.test: they share one hash made with the production parameters.
 * The addresses are lower-case ASCII, so each is its own canonical form (`email_canonical`).
 */
export async function seedAccounts(dbUrl: string): Promise<void> {
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...ARGON2 });
  await query(
    dbUrl,
    `INSERT INTO users (email, email_canonical, password_hash, name, role, email_verified_at, created_at, updated_at)
     SELECT 'login' || g || '@bench.test', 'login' || g || '@bench.test', $1, 'Login ' || g, 'user', now(), now(), now() FROM generate_series(1, $2::int) g`,
    [hash, LOGIN_USERS],
  );
  await query(
    dbUrl,
    `INSERT INTO users (email, email_canonical, password_hash, name, role, email_verified_at) VALUES ('admin@bench.test', 'admin@bench.test', $1, 'Bench Admin', 'admin', now())`,
    [hash],
  );
}

/** The admin listings' volume: bench/seed.ts when it is there, else set-based SQL. Says what was seeded. */
export async function seedAdminVolume(dbUrl: string, quick: boolean): Promise<string> {
  return (await seedWithScript(dbUrl, quick)) ?? (await seedVolume(dbUrl, quick));
}

/** A modest admin-list volume with set-based SQL (used when bench/seed.ts is not there). */
async function seedVolume(dbUrl: string, quick: boolean): Promise<string> {
  const users = quick ? 20000 : 50000;
  const events = quick ? 100000 : 200000;
  await query(
    dbUrl,
    `INSERT INTO users (email, email_canonical, password_hash, name, role, email_verified_at, created_at, updated_at)
     SELECT 'seed' || g || '@example.com', 'seed' || g || '@example.com', NULL, 'Seed User ' || g,
            CASE WHEN g % 100 = 0 THEN 'guest' ELSE 'user' END,
            CASE WHEN g % 3 = 0 THEN NULL ELSE now() END,
            now() - make_interval(secs => g), now() - make_interval(secs => g)
       FROM generate_series(1, $1::int) g`,
    [users],
  );
  await query(
    dbUrl,
    `INSERT INTO audit_events (event, outcome, actor_id, target_user_id, ip, user_agent, metadata, created_at)
     SELECT (ARRAY['auth.login','user.registered','session.revoked','auth.logout','password.changed'])[1 + g % 5],
            CASE WHEN g % 7 = 0 THEN 'failure' ELSE 'success' END,
            gen_random_uuid(), gen_random_uuid(), '10.0.' || (g % 250) || '.' || (g % 200), 'bench/1.0',
            jsonb_build_object('method', 'password'), now() - make_interval(secs => g)
       FROM generate_series(1, $1::int) g`,
    [events],
  );
  await query(dbUrl, 'ANALYZE');
  return `seeded by bench/run.ts (bench/seed.ts absent): ${users} users, ${events} audit events`;
}

/** The other developer's seeder, when present: run it against our database. */
async function seedWithScript(dbUrl: string, quick: boolean): Promise<string | undefined> {
  const script = join(ROOT, 'bench/seed.ts');
  if (!existsSync(script)) return undefined;
  const command = tsNode(script, ...(quick ? ['--quick'] : []));
  const res = await runToExit(command, {
    env: { ...process.env, ...command.env, DATABASE_URL: dbUrl, SEED_DATABASE_URL: dbUrl },
    timeoutMs: 15 * 60 * 1000,
  }).catch((err: Error) => ({ code: null, stdout: '', stderr: err.message }));
  if (res.code !== 0) {
    log(`  bench/seed.ts failed (${res.code}): ${(res.stderr || res.stdout).slice(-500)}; seeding with SQL instead`);
    return undefined;
  }
  const counts = await query<{ users: number; events: number }>(
    dbUrl,
    `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM audit_events) AS events`,
  );
  return `seeded by bench/seed.ts: ${counts[0].users} users, ${counts[0].events} audit events`;
}
