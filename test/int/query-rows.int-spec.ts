import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, queryRows } from '@app/database';
import { createTestDatabase, TestDatabase } from '../support/database';

/**
 * queryRows (the hot-path statement helper) gives the same rows on both drivers, goes through the
 * transaction when given one, and on PostgreSQL outside a transaction skips TypeORM's query runner.
 */
describe.each(['postgres', 'pglite'] as const)('queryRows on %s', (kind) => {
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  let ds: DataSource;

  beforeAll(async () => {
    if (kind === 'postgres') db = await createTestDatabase();
    else dir = mkdtempSync(join(tmpdir(), 'idp-query-rows-'));
    ds = new DataSource(dataSourceOptions({ url: db?.url, dataDir: dir ?? '', poolSize: 2 }));
    await ds.initialize();
    await ds.query(`CREATE TABLE t (id int PRIMARY KEY, v text)`);
    await ds.query(`INSERT INTO t VALUES (1, 'a'), (2, 'b')`);
  }, 60000);

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns the rows of a SELECT and of UPDATE/DELETE ... RETURNING alike', async () => {
    expect(await queryRows(ds, `SELECT id, v FROM t WHERE id = $1`, [1])).toEqual([{ id: 1, v: 'a' }]);
    expect(await queryRows(ds.manager, `SELECT id FROM t WHERE id = $1`, [3])).toEqual([]);
    expect(await queryRows(ds, `UPDATE t SET v = $2 WHERE id = $1 RETURNING id, v`, [2, 'c'])).toEqual([{ id: 2, v: 'c' }]);
    expect(await queryRows(ds, `DELETE FROM t WHERE id = $1 RETURNING id`, [2])).toEqual([{ id: 2 }]);
    expect(await queryRows(ds, `UPDATE t SET v = 'x' WHERE id = $1 RETURNING id`, [42])).toEqual([]);
  });

  it('runs on the transaction it is given (sees its uncommitted rows; rolled back with it)', async () => {
    await expect(
      ds.transaction(async (manager) => {
        await manager.query(`INSERT INTO t VALUES (10, 'tx')`);
        expect(await queryRows(manager, `SELECT v FROM t WHERE id = $1`, [10])).toEqual([{ v: 'tx' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await queryRows(ds, `SELECT v FROM t WHERE id = $1`, [10])).toEqual([]);
  });

  it(kind === 'postgres' ? 'goes straight to the pg pool outside a transaction' : 'goes through TypeORM (the serialised PGlite connection)', async () => {
    const master = (ds.driver as unknown as { master: unknown }).master;
    expect(master instanceof Pool).toBe(kind === 'postgres');
    const runners = jest.spyOn(ds.driver, 'createQueryRunner');
    await queryRows(ds, `SELECT 1 AS one`, []);
    await queryRows(ds.manager, `SELECT 1 AS one`, []);
    expect(runners).toHaveBeenCalledTimes(kind === 'postgres' ? 0 : 2);
    runners.mockRestore();
  });
});
