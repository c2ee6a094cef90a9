import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '@app/database';
import type { Tx } from '@app/common';

/** A row of `mfa_totp`: the active secret and a pending one, both sealed. */
export interface TotpRow {
  secretSealed: string | null;
  pendingSealed: string | null;
  pendingCreatedAt: Date | null;
  lastUsedStep: number;
}

/** `mfa_totp`. A code's time step is accepted once: `last_used_step` only moves forward. */
@Injectable()
export class TotpRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async find(userId: string, tx?: Tx): Promise<TotpRow | null> {
    const rows = await queryRows(
      tx ?? this.ds,
      `SELECT secret_sealed, pending_secret_sealed, pending_created_at, last_used_step FROM mfa_totp WHERE user_id = $1`,
      [userId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      secretSealed: (r.secret_sealed as string | null) ?? null,
      pendingSealed: (r.pending_secret_sealed as string | null) ?? null,
      pendingCreatedAt: r.pending_created_at ? new Date(r.pending_created_at as string) : null,
      lastUsedStep: Number(r.last_used_step ?? 0),
    };
  }

  /** A new setup replaces a pending one; the active secret (if any) keeps working until confirmation. */
  async savePending(userId: string, sealed: string, at: Date): Promise<void> {
    await queryRows(
      this.ds,
      `INSERT INTO mfa_totp (user_id, pending_secret_sealed, pending_created_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET pending_secret_sealed = EXCLUDED.pending_secret_sealed, pending_created_at = EXCLUDED.pending_created_at`,
      [userId, sealed, at],
    );
  }

  /**
   * The pending secret (exactly the one that was checked: `sealed`) becomes the active one, with
   * the step of its confirming code spent. false when a newer setup replaced it meanwhile.
   */
  async activate(userId: string, sealed: string, step: number, at: Date, tx: Tx): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `UPDATE mfa_totp SET secret_sealed = pending_secret_sealed, enabled_at = $4, pending_secret_sealed = NULL, pending_created_at = NULL,
              last_used_step = $3
        WHERE user_id = $1 AND pending_secret_sealed = $2 RETURNING user_id`,
      [userId, sealed, step, at],
    );
    return rows.length > 0;
  }

  /** Spends a time step of the active secret: false when it (or a later one) was spent already. */
  async spend(userId: string, step: number): Promise<boolean> {
    const rows = await queryRows(
      this.ds,
      `UPDATE mfa_totp SET last_used_step = $2 WHERE user_id = $1 AND secret_sealed IS NOT NULL AND last_used_step < $2 RETURNING user_id`,
      [userId, step],
    );
    return rows.length > 0;
  }

  /** Removes TOTP (active and pending); false when none was active. */
  async remove(userId: string, tx: Tx): Promise<boolean> {
    const rows = await queryRows(tx, `DELETE FROM mfa_totp WHERE user_id = $1 RETURNING secret_sealed`, [userId]);
    return rows.some((r) => r.secret_sealed != null);
  }
}
