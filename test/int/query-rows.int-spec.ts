import { Pool } from 'pg';
import { queryRows } from '@app/database';
import { DRIVERS, useDatabase } from './support/drivers';

/**
 * queryRows (the hot-path statement helper) gives the same rows on both drivers, goes through the
 * transaction when given one, and on PostgreSQL outside a transaction skips TypeORM's query runner.
 */
describe.each(DRIVERS)('queryRows on %s', (kind) => {
  const db = useDatabase(kind, { poolSize: 2, migrate: false });

  beforeAll(async () => {
    await db.ds.query(`CREATE TABLE t (id int PRIMARY KEY, v text)`);
    await db.ds.query(`INSERT INTO t VALUES (1, 'a'), (2, 'b')`);
  });

  it('returns the rows of a SELECT and of UPDATE/DELETE ... RETURNING alike', async () => {
    expect(await queryRows(db.ds, `SELECT id, v FROM t WHERE id = $1`, [1])).toEqual([{ id: 1, v: 'a' }]);
    expect(await queryRows(db.ds.manager, `SELECT id FROM t WHERE id = $1`, [3])).toEqual([]);
    expect(await queryRows(db.ds, `UPDATE t SET v = $2 WHERE id = $1 RETURNING id, v`, [2, 'c'])).toEqual([{ id: 2, v: 'c' }]);
    expect(await queryRows(db.ds, `DELETE FROM t WHERE id = $1 RETURNING id`, [2])).toEqual([{ id: 2 }]);
    expect(await queryRows(db.ds, `UPDATE t SET v = 'x' WHERE id = $1 RETURNING id`, [42])).toEqual([]);
  });

  it('runs on the transaction it is given (sees its uncommitted rows; rolled back with it)', async () => {
    await expect(
      db.ds.transaction(async (manager) => {
        await manager.query(`INSERT INTO t VALUES (10, 'tx')`);
        expect(await queryRows(manager, `SELECT v FROM t WHERE id = $1`, [10])).toEqual([{ v: 'tx' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await queryRows(db.ds, `SELECT v FROM t WHERE id = $1`, [10])).toEqual([]);
  });

  it(kind === 'postgres' ? 'goes straight to the pg pool outside a transaction' : 'goes through TypeORM (the serialised PGlite connection)', async () => {
    const master = (db.ds.driver as unknown as { master: unknown }).master;
    expect(master instanceof Pool).toBe(kind === 'postgres');
    const runners = jest.spyOn(db.ds.driver, 'createQueryRunner');
    await queryRows(db.ds, `SELECT 1 AS one`, []);
    await queryRows(db.ds.manager, `SELECT 1 AS one`, []);
    expect(runners).toHaveBeenCalledTimes(kind === 'postgres' ? 0 : 2);
    runners.mockRestore();
  });
});
