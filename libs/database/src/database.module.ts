import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options';
import { connectFailureReason, databaseAddress, DatabaseConnectError } from './connect-error';
import { runMigrationsLocked } from './migrate';
import { UnitOfWork } from './unit-of-work';

const CONNECT_ATTEMPTS = 3;
const CONNECT_RETRY_MS = 1000;

/**
 * Opens the DataSource; a server that does not answer (still starting, say) gets CONNECT_ATTEMPTS
 * tries, each failure logged as one line, the last one thrown as a DatabaseConnectError that
 * names DATABASE_URL's host and port (never its password) and the driver's reason.
 */
async function connectWithRetry(options: DataSourceOptions): Promise<DataSource> {
  const url = 'url' in options ? options.url : undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await new DataSource(options).initialize();
    } catch (err) {
      if (!url) throw err;
      if (attempt >= CONNECT_ATTEMPTS) throw new DatabaseConnectError(url, err);
      new Logger('Database').warn(
        `Cannot connect to the database at ${databaseAddress(url)} (DATABASE_URL): ${connectFailureReason(err, url)}; ` +
          `retrying in ${CONNECT_RETRY_MS / 1000} s (attempt ${attempt} of ${CONNECT_ATTEMPTS})`,
      );
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

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
        // connectWithRetry retries and says why in one line; TypeORM's own retry logs stacks
        toRetry: () => false,
      }),
      dataSourceFactory: async (options) => {
        const { migrationsRun, ...rest } = options!;
        const ds = await connectWithRetry({ ...rest, migrationsRun: false } as DataSourceOptions);
        if (migrationsRun) await runMigrationsLocked(ds, !('url' in rest && rest.url));
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
