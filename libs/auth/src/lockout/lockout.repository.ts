import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '@app/database';
import { User, userColumns, userFromRow } from '@app/users';

export interface AttemptReservation {
  /** attempts in the current window, this one included */
  attempts: number;
  lockedUntil: Date | null;
  /** the account of the email (null: none), read in the same statement */
  user: User | null;
}

const COUNT_ATTEMPT_SQL = `INSERT INTO login_attempts AS la (email_key, attempts, window_started_at, locked_until, updated_at)
       VALUES ($1, 1, $2, NULL, $2)
       ON CONFLICT (email_key) DO UPDATE SET
         attempts = CASE
           WHEN la.locked_until > $2 THEN la.attempts
           WHEN la.locked_until IS NOT NULL OR la.window_started_at <= $2 - make_interval(secs => $3) THEN 1
           ELSE la.attempts + 1 END,
         window_started_at = CASE
           WHEN la.locked_until > $2 THEN la.window_started_at
           WHEN la.locked_until IS NOT NULL OR la.window_started_at <= $2 - make_interval(secs => $3) THEN $2
           ELSE la.window_started_at END,
         locked_until = CASE WHEN la.locked_until > $2 THEN la.locked_until ELSE NULL END,
         updated_at = $2
       RETURNING attempts, locked_until`;

/** The reservation and the account in one round trip (login's first statement); the key is the canonical address. */
const RESERVE_SQL = `WITH r AS (${COUNT_ATTEMPT_SQL})
  SELECT r.attempts, r.locked_until, ${userColumns('u', 'u_')}
    FROM r LEFT JOIN users u ON u.email_canonical = $1`;

/**
 * Lockout counters live in PostgreSQL (login_attempts), keyed by normalised email whether or not
 * an account exists. Each attempt is counted atomically *before* the password is checked (one
 * INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so parallel wrong passwords cannot slip past
 * the threshold, and a Redis outage cannot unlock anything.
 */
@Injectable()
export class LockoutRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Counts one attempt for `emailKey` (the canonical address) and, in the same statement, reads
   * its account (what login needs next), saving a round trip on every sign-in.
   */
  async reserve(emailKey: string, now: Date, windowSeconds: number): Promise<AttemptReservation> {
    const [r] = await queryRows(this.ds, RESERVE_SQL, [emailKey, now, windowSeconds]);
    return {
      attempts: r.attempts as number,
      lockedUntil: r.locked_until ? new Date(r.locked_until as string) : null,
      user: r.u_id ? userFromRow(r, 'u_') : null,
    };
  }

  /** Locks until `until` unless already locked; resolves true when this call set the lock. */
  async lock(emailKey: string, until: Date): Promise<boolean> {
    const rows = await queryRows(this.ds, `UPDATE login_attempts SET locked_until = $2 WHERE email_key = $1 AND locked_until IS NULL RETURNING email_key`, [
      emailKey,
      until,
    ]);
    return rows.length > 0;
  }

  async clear(emailKey: string): Promise<void> {
    await queryRows(this.ds, `DELETE FROM login_attempts WHERE email_key = $1`, [emailKey]);
  }

  async lockedUntil(emailKey: string, now: Date): Promise<Date | null> {
    const rows = await queryRows(this.ds, `SELECT locked_until FROM login_attempts WHERE email_key = $1 AND locked_until > $2`, [emailKey, now]);
    return rows.length ? new Date(rows[0].locked_until as string | Date) : null;
  }
}
