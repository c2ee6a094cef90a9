import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsLocked } from './migrate';
import { UnitOfWork } from './unit-of-work';

/**
 * PostgreSQL through TypeORM: a real server when DATABASE_URL is set, PGlite in DATA_DIR
 * otherwise. Pending migrations (DB_MIGRATIONS_RUN, default on) are applied before the
 * DataSource is handed to anyone. Global: every lib writes through its UnitOfWork.
 */
@Global()
@Module({
  providers: [UnitOfWork],
  exports: [UnitOfWork],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.database),
        migrationsRun: config.database.migrationsRun,
        retryAttempts: 3,
        retryDelay: 1000,
      }),
      dataSourceFactory: async (options) => {
        const { migrationsRun, ...rest } = options!;
        const ds = await new DataSource({ ...rest, migrationsRun: false } as typeof options & object).initialize();
        if (migrationsRun) await runMigrationsLocked(ds, !('url' in rest && rest.url));
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
