import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '@app/database';
import { sha256, type Tx } from '@app/common';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read off paper

/**
 * Single-use recovery codes: 16 characters from a 31-letter alphabet (~79 bits), shown once as
 * `xxxx-xxxx-xxxx-xxxx`; stored as SHA-256 of (user id, code) — far too much entropy to guess
 * offline, so a slow hash would add nothing but latency. Spending one is one compare-and-set.
 */
@Injectable()
export class RecoveryCodes {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** A new set; the old set dies. Returns the codes in clear (the only time they exist). */
  async replace(userId: string, tx: Tx): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newCode());
    await queryRows(tx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await queryRows(tx, `INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::text[]) AS h`, [
      userId,
      codes.map((c) => digest(userId, c)),
    ]);
    return codes;
  }

  /** Spends `code`: the number of unused codes left, or null when it is not an unused code of this user. */
  async spend(userId: string, code: string): Promise<number | null> {
    const normalized = normalize(code);
    if (normalized.length !== 16) return null;
    const rows = await queryRows(
      this.ds,
      `WITH spent AS (
         UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id
       )
       SELECT (SELECT count(*) FROM spent) AS spent,
              (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL) - (SELECT count(*) FROM spent) AS left`,
      [userId, digest(userId, normalized)],
    );
    return Number(rows[0]?.spent ?? 0) > 0 ? Number(rows[0].left) : null;
  }

  async remaining(userId: string, tx?: Tx): Promise<number> {
    const rows = await queryRows(tx ?? this.ds, `SELECT count(*) AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, [userId]);
    return Number(rows[0]?.n ?? 0);
  }

  async removeAll(userId: string, tx: Tx): Promise<void> {
    await queryRows(tx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
  }
}

function newCode(): string {
  const bytes = randomBytes(16);
  // 256 % 31 != 0: reject the bytes that would bias the alphabet
  let out = '';
  let i = 0;
  let pool = bytes;
  while (out.length < 16) {
    if (i === pool.length) {
      pool = randomBytes(16);
      i = 0;
    }
    const b = pool[i++];
    if (b < 248) out += ALPHABET[b % 31];
  }
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8, 12)}-${out.slice(12)}`;
}

/** What the user typed, as stored: case, spaces and dashes do not matter. */
function normalize(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

function digest(userId: string, code: string): string {
  return sha256(`${userId}:${normalize(code)}`);
}
