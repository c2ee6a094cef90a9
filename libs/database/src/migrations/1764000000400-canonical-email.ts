import { MigrationInterface, QueryRunner } from 'typeorm';
// a relative path, not @app/common: the TypeORM CLI loads migrations without path aliases or Nest
import { canonicalEmail } from '../../../common/src/util/email';

const BATCH = 5000;

/**
 * One canonical email per account (`users.email_canonical`, unique), computed by the same
 * function the application uses (`canonicalEmail`: NFKC, lower case, IDNA domain). It replaces
 * the unique index on lower(email): PostgreSQL's lower() and JavaScript disagree on characters
 * such as U+0130, which let look-alike addresses reach or squat an account.
 *
 * Existing addresses are backfilled in batches. Two accounts whose addresses have the same
 * canonical form cannot both keep it: the migration stops and names them, and an operator must
 * merge, rename or remove one before migrating (nothing is changed until then). An address the
 * function refuses (it was accepted by an older version) keeps its trimmed, NFKC, lower-case form.
 */
export class CanonicalEmail1764000000400 implements MigrationInterface {
  name = 'CanonicalEmail1764000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_canonical varchar(320)`);
    const rows: { id: string; email: string }[] = await q.query(`SELECT id, email FROM users ORDER BY created_at, id`);
    const byCanonical = new Map<string, string[]>();
    const canonical = rows.map((r) => {
      const c = canonicalOrFallback(r.email);
      byCanonical.set(c, [...(byCanonical.get(c) ?? []), r.id]);
      return c;
    });
    const collisions = [...byCanonical.values()].filter((ids) => ids.length > 1);
    if (collisions.length > 0) {
      const list = collisions
        .slice(0, 20)
        .map((ids) => ids.join(' = '))
        .join('; ');
      throw new Error(
        `CanonicalEmail: ${collisions.length} group(s) of accounts share one canonical email address and cannot all keep it. ` +
          `Merge, rename or delete all but one account of each group, then migrate again. Account ids: ${list}`,
      );
    }
    for (let i = 0; i < rows.length; i += BATCH) {
      await q.query(`UPDATE users u SET email_canonical = v.c FROM unnest($1::uuid[], $2::text[]) AS v(id, c) WHERE u.id = v.id`, [
        rows.slice(i, i + BATCH).map((r) => r.id),
        canonical.slice(i, i + BATCH),
      ]);
    }
    await q.query(`ALTER TABLE users ALTER COLUMN email_canonical SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX users_email_canonical_key ON users (email_canonical)`);
    await q.query(`DROP INDEX users_email_lower_key`);
    // lockout counters are keyed by the canonical address too
    await q.query(`ALTER TABLE login_attempts ALTER COLUMN email_key TYPE varchar(320)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
    await q.query(`DROP INDEX users_email_canonical_key`);
    await q.query(`ALTER TABLE users DROP COLUMN email_canonical`);
  }
}

function canonicalOrFallback(email: string): string {
  try {
    return canonicalEmail(email);
  } catch {
    return email.trim().normalize('NFKC').toLowerCase();
  }
}
