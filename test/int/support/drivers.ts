import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DataSource } from 'typeorm';
import { AccessChangeNotifier } from '@app/common';
import { dataSourceOptions, UnitOfWork } from '@app/database';
import { User, UsersRepository } from '@app/users';
import { createTestDatabase, TestDatabase } from '../../support/database';

/**
 * The repository contract tests, in the style of Kratos' `TestPersister`: one suite of behaviour
 * tests per repository, run against every database driver the app ships with — PostgreSQL (the
 * server) and PGlite (the embedded mode, one serialised connection):
 *
 *   describe.each(DRIVERS)('SessionsRepository on %s', (kind) => { const db = useDatabase(kind); ... });
 */
export const DRIVERS = ['postgres', 'pglite'] as const;
export type DriverKind = (typeof DRIVERS)[number];

export interface Database {
  readonly kind: DriverKind;
  /** valid inside tests (set up in beforeAll) */
  readonly ds: DataSource;
  readonly uow: UnitOfWork;
}

export interface DatabaseOptions {
  /** PostgreSQL pool size (default 4); the races need one connection per racer */
  poolSize?: number;
  /** run every migration (default true) */
  migrate?: boolean;
}

/**
 * One database per driver per file (beforeAll / afterAll): a fresh database on the machine's
 * PostgreSQL, or a PGlite in a temporary directory; migrated unless `migrate: false`. Tests share
 * it, so each test makes its own rows (fresh users, emails, tokens) or clears the table it needs.
 *
 * PGlite is a process-wide singleton in typeorm-pglite and closing the DataSource closes it for
 * good, so there can be only one PGlite database per test file (jest gives each file its own module
 * registry, hence its own PGlite).
 */
export function useDatabase(kind: DriverKind, opts: DatabaseOptions = {}): Database {
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  let ds: DataSource | undefined;
  let uow: UnitOfWork | undefined;

  beforeAll(async () => {
    if (kind === 'postgres') db = await createTestDatabase();
    else dir = mkdtempSync(join(tmpdir(), 'idp-int-'));
    ds = new DataSource({ ...dataSourceOptions({ url: db?.url, dataDir: dir ?? '', poolSize: opts.poolSize ?? 4 }) });
    await ds.initialize();
    if (opts.migrate !== false) await ds.runMigrations({ transaction: 'each' });
    uow = new UnitOfWork(ds);
  }, 60000);

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the database is only available inside tests (beforeAll has not run)');
    return v;
  };
  return {
    kind,
    get ds() {
      return need(ds);
    },
    get uow() {
      return need(uow);
    },
  };
}

/**
 * `it` on PostgreSQL, `it.skip` on PGlite: for the races. PGlite has a single connection and the
 * app's pool hands it to one query runner at a time, so "concurrent" statements run one after the
 * other there and a race test would prove nothing.
 */
export function itConcurrently(kind: DriverKind): jest.It {
  return kind === 'postgres' ? it : it.skip;
}

let seq = 0;

/** A unique address per call (suites share their database between tests). */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${process.pid}-${++seq}-${Date.now().toString(36)}@example.com`;
}

/** A user through the app's own repository (canonical address, defaults as in production). */
export function createUser(ds: DataSource, email = uniqueEmail()): Promise<User> {
  const users = new UsersRepository(ds, new AccessChangeNotifier(new EventEmitter2()));
  return users.create({ email, passwordHash: 'not-a-real-hash' });
}
