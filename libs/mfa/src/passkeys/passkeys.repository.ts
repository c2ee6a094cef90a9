import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conditions, keysetPage, queryRows, textArray } from '@app/database';
import { type Cursor, isUniqueViolation, type Tx } from '@app/common';

/** A row of `passkeys`. */
export interface Passkey {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<Passkey, 'id' | 'createdAt' | 'lastUsedAt'>;

export class CredentialInUseError extends Error {}

const COLUMNS = 'p.id, p.user_id, p.credential_id, p.public_key, p.sign_count, p.transports, p.device_type, p.backed_up, p.name, p.created_at, p.last_used_at';

/** `passkeys`: WebAuthn credentials of users. */
@Injectable()
export class PasskeysRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(p: NewPasskey, tx: Tx): Promise<Passkey> {
    try {
      const rows = await queryRows(
        tx,
        `INSERT INTO passkeys AS p (user_id, credential_id, public_key, sign_count, transports, device_type, backed_up, name)
         VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8) RETURNING ${COLUMNS}`,
        [p.userId, p.credentialId, Buffer.from(p.publicKey), p.signCount, p.transports, p.deviceType, p.backedUp, p.name],
      );
      return toPasskey(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new CredentialInUseError('credential already registered');
      throw err;
    }
  }

  async findByCredentialId(credentialId: string): Promise<Passkey | null> {
    const rows = await queryRows(this.ds, `SELECT ${COLUMNS} FROM passkeys p WHERE p.credential_id = $1`, [credentialId]);
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async listForUser(userId: string, tx?: Tx): Promise<Passkey[]> {
    const rows = await queryRows(tx ?? this.ds, `SELECT ${COLUMNS} FROM passkeys p WHERE p.user_id = $1 ORDER BY p.created_at DESC, p.id DESC`, [userId]);
    return rows.map(toPasskey);
  }

  async page(userId: string, f: { limit: number; cursor?: Cursor }): Promise<Passkey[]> {
    const c = new Conditions();
    c.add(`p.user_id = ${c.param(userId)}`);
    const tail = keysetPage(c, 'p', f);
    const rows = await queryRows(this.ds, `SELECT ${COLUMNS} FROM passkeys p ${tail}`, c.params);
    return rows.map(toPasskey);
  }

  async count(userId: string, tx: Tx): Promise<number> {
    const rows = await queryRows(tx, `SELECT count(*) AS n FROM passkeys WHERE user_id = $1`, [userId]);
    return Number(rows[0]?.n ?? 0);
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey | null> {
    const rows = await queryRows(this.ds, `UPDATE passkeys AS p SET name = $3 WHERE p.id = $1 AND p.user_id = $2 RETURNING ${COLUMNS}`, [id, userId, name]);
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  async remove(userId: string, id: string, tx: Tx): Promise<Passkey | null> {
    const rows = await queryRows(tx, `DELETE FROM passkeys AS p WHERE p.id = $1 AND p.user_id = $2 RETURNING ${COLUMNS}`, [id, userId]);
    return rows[0] ? toPasskey(rows[0]) : null;
  }

  /**
   * Records a verified assertion: the counter moves forward only (a counter that did not grow,
   * while either side is non-zero, means a cloned authenticator: false, nothing changes).
   */
  async used(id: string, newCount: number, backedUp: boolean): Promise<boolean> {
    const rows = await queryRows(
      this.ds,
      `UPDATE passkeys SET sign_count = $2, backed_up = $3, last_used_at = now()
        WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0)) RETURNING id`,
      [id, newCount, backedUp],
    );
    return rows.length > 0;
  }

  async removeAll(userId: string, tx: Tx): Promise<number> {
    const rows = await queryRows(tx, `DELETE FROM passkeys WHERE user_id = $1 RETURNING id`, [userId]);
    return rows.length;
  }
}

function toPasskey(r: Record<string, unknown>): Passkey {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    credentialId: r.credential_id as string,
    publicKey: new Uint8Array(r.public_key as Buffer),
    signCount: Number(r.sign_count ?? 0),
    transports: textArray(r.transports),
    deviceType: r.device_type as Passkey['deviceType'],
    backedUp: r.backed_up === true,
    name: r.name as string,
    createdAt: new Date(r.created_at as string),
    lastUsedAt: r.last_used_at ? new Date(r.last_used_at as string) : null,
  };
}
