/**
 * The DataSource for the TypeORM CLI (`npm run migration:run | migration:revert | migration:generate`).
 * Same options as the app, from the same validated environment; no Nest imports here.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './libs/config/src/load-config';
import { dataSourceOptions } from './libs/database/src/data-source-options';

const config = loadConfig(process.env);

export default new DataSource({
  ...dataSourceOptions(config.database),
  entities: [__dirname + '/libs/*/src/**/*.entity.{ts,js}'],
});
