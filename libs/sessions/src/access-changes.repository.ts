import { Injectable } from '@nestjs/common';
import { queryRows } from '@app/database';
import type { Tx } from '@app/common';

export interface AccessChange {
  id: string;
  userId: string;
  /** set when the change is a session's revocation */
  sessionId: string | null;
}

/** The `access_changes` log (written by triggers, see migration AccessState1764000000500). */
@Injectable()
export class AccessChangesRepository {
  /**
   * Locks up to `limit` logged changes at least `minAgeMs` old, oldest first, skipping rows
   * another node is replaying: the rows stay locked until `tx` ends.
   */
  async claim(tx: Tx, minAgeMs: number, limit: number): Promise<AccessChange[]> {
    const rows = await queryRows(
      tx,
      `SELECT id, user_id, session_id FROM access_changes
        WHERE created_at <= now() - make_interval(secs => $1::double precision / 1000)
        ORDER BY id LIMIT $2
          FOR UPDATE SKIP LOCKED`,
      [minAgeMs, limit],
    );
    return rows.map((r) => ({ id: String(r.id), userId: r.user_id as string, sessionId: (r.session_id as string | null) ?? null }));
  }

  async delete(tx: Tx, ids: string[]): Promise<void> {
    if (ids.length) await queryRows(tx, `DELETE FROM access_changes WHERE id = ANY($1::bigint[])`, [ids]);
  }
}
