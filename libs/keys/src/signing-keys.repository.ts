import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Conditions, queryRows } from '@app/database';
import { type Cursor, isUniqueViolation, type Tx } from '@app/common';

export type KeyState = 'next' | 'current' | 'retired';
export type AsymmetricAlg = 'ES256' | 'EdDSA';

/** A row of `signing_keys`. */
export interface SigningKeyRow {
  kid: string;
  alg: AsymmetricAlg;
  state: KeyState;
  publicJwk: Record<string, unknown>;
  privateSealed: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  publishUntil: Date | null;
}

const COLUMNS = 'kid, alg, state, public_jwk, private_sealed, created_at, activated_at, retired_at, publish_until';

@Injectable()
export class SigningKeysRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Every key that may verify a token or be published: next, current, and retired ones still published. */
  async live(alg: AsymmetricAlg, now: Date): Promise<SigningKeyRow[]> {
    const rows = await queryRows(
      this.ds,
      `SELECT ${COLUMNS} FROM signing_keys WHERE alg = $1 AND (state <> 'retired' OR publish_until > $2) ORDER BY created_at DESC, kid DESC`,
      [alg, now],
    );
    return rows.map(toRow);
  }

  async page(f: { limit: number; cursor?: Cursor }): Promise<SigningKeyRow[]> {
    const c = new Conditions();
    if (f.cursor) c.add(`(k.created_at, k.kid) < (${c.param(f.cursor.createdAt)}, ${c.param(f.cursor.id)})`);
    const rows = await queryRows(
      this.ds,
      `SELECT ${COLUMNS} FROM signing_keys k ${c.where} ORDER BY k.created_at DESC, k.kid DESC LIMIT ${c.param(f.limit + 1)}`,
      c.params,
    );
    return rows.map(toRow);
  }

  /** Inserts a key; false when another node inserted the key of that state first (the partial unique index). */
  async insert(k: Omit<SigningKeyRow, 'createdAt' | 'retiredAt' | 'publishUntil'>, at: Date, tx?: Tx): Promise<boolean> {
    try {
      await queryRows(
        tx ?? this.ds,
        `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_sealed, created_at, activated_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
        [k.kid, k.alg, k.state, JSON.stringify(k.publicJwk), k.privateSealed, at, k.activatedAt],
      );
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /**
   * One rotation at a time, whatever the node: a transaction-scoped advisory lock first (a row lock
   * alone would not show a waiting rotation the next key the winner inserted), then the keys as
   * they are once it is ours.
   */
  async lockForRotation(alg: AsymmetricAlg, tx: Tx): Promise<SigningKeyRow[]> {
    await queryRows(tx, `SELECT pg_advisory_xact_lock(hashtext('signing_keys_rotation:' || $1::text))`, [alg]);
    const rows = await queryRows(tx, `SELECT ${COLUMNS} FROM signing_keys WHERE alg = $1 AND state IN ('next', 'current') ORDER BY kid FOR UPDATE`, [alg]);
    return rows.map(toRow);
  }

  async retire(kid: string, at: Date, publishUntil: Date, tx: Tx): Promise<void> {
    await queryRows(tx, `UPDATE signing_keys SET state = 'retired', retired_at = $2, publish_until = $3 WHERE kid = $1`, [kid, at, publishUntil]);
  }

  async activate(kid: string, at: Date, tx: Tx): Promise<void> {
    await queryRows(tx, `UPDATE signing_keys SET state = 'current', activated_at = $2 WHERE kid = $1`, [kid, at]);
  }
}

export function toRow(r: Record<string, unknown>): SigningKeyRow {
  const at = (v: unknown) => (v == null ? null : new Date(v as string));
  return {
    kid: r.kid as string,
    alg: r.alg as AsymmetricAlg,
    state: r.state as KeyState,
    publicJwk: (typeof r.public_jwk === 'string' ? JSON.parse(r.public_jwk) : r.public_jwk) as Record<string, unknown>,
    privateSealed: r.private_sealed as string,
    createdAt: new Date(r.created_at as string),
    activatedAt: at(r.activated_at),
    retiredAt: at(r.retired_at),
    publishUntil: at(r.publish_until),
  };
}
