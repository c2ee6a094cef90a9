/**
 * The DataSource for the TypeORM CLI (`npm run migration:run | migration:revert | migration:create`).
 * Same options as the app (libs/database), read from DATABASE_URL / DATA_DIR only, so migrating
 * needs no other configuration. No Nest imports here.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './libs/database/src/data-source-options';

export default new DataSource(
  dataSourceOptions({
    url: process.env.DATABASE_URL || undefined,
    dataDir: resolve(process.env.DATA_DIR ?? './.data'),
    poolSize: 2,
  }),
);
