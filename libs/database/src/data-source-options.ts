import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { embeddedPostgresDriver } from './pglite-driver';

export interface DatabaseSettings {
  url?: string;
  dataDir: string;
  poolSize: number;
}

/**
 * The one DataSource definition, shared by the app (TypeOrmModule) and `ormconfig.ts` (CLI).
 * No `synchronize`: the schema only ever changes through migrations.
 */
export function dataSourceOptions(db: DatabaseSettings): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logging: false,
  };
  if (!db.url) {
    return { ...common, driver: embeddedPostgresDriver(join(db.dataDir, 'pg')) } as DataSourceOptions;
  }
  return {
    ...common,
    url: db.url,
    applicationName: 'identity-api',
    poolSize: db.poolSize,
    extra: {
      max: db.poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      statement_timeout: 15000,
    },
  };
}
