import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS } from '@app/database';
import { createTestDatabase, TestDatabase } from './support/database';

/** Migrations that transform existing data, run against data written by the versions before them. */
describe('migrations over existing data', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const upTo = (name: string) =>
    MIGRATIONS.slice(
      0,
      MIGRATIONS.findIndex((m) => m.name.startsWith(name)),
    );

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db.drop();
  });

  async function migrated(migrations: typeof MIGRATIONS): Promise<DataSource> {
    if (ds?.isInitialized) await ds.destroy();
    ds = await new DataSource({ ...dataSourceOptions({ url: db.url, dataDir: '', poolSize: 2 }), migrations }).initialize();
    await ds.runMigrations({ transaction: 'each' });
    return ds;
  }

  const insertUser = (d: DataSource, email: string) => d.query(`INSERT INTO users (email) VALUES ($1) RETURNING id`, [email]);

  it('CanonicalEmail backfills the canonical address of every account', async () => {
    const before = await migrated(upTo('CanonicalEmail'));
    await insertUser(before, 'Ada@Example.COM');
    await insertUser(before, 'bob@münchen.de');
    const after = await migrated(MIGRATIONS);
    const rows = await after.query(`SELECT email, email_canonical FROM users ORDER BY email`);
    expect(rows).toEqual([
      { email: 'Ada@Example.COM', email_canonical: 'ada@example.com' },
      { email: 'bob@münchen.de', email_canonical: 'bob@xn--mnchen-3ya.de' },
    ]);
    await expect(insertUser(after, 'x@example.com')).rejects.toThrow(/email_canonical/);
  });

  it('CanonicalEmail stops and names the accounts when two addresses share a canonical form', async () => {
    const before = await migrated(upTo('CanonicalEmail'));
    const [{ id: a }] = await insertUser(before, 'ada@example.com');
    const [{ id: b }] = await insertUser(before, 'ａｄａ@example.com');
    await expect(migrated(MIGRATIONS)).rejects.toThrow(new RegExp(`share one canonical email.*(${a} = ${b}|${b} = ${a})`));
    // nothing changed: the migration is still pending and the column does not exist
    const check = await migrated(upTo('CanonicalEmail'));
    const columns = await check.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email_canonical'`);
    expect(columns).toEqual([]);
  });
});
