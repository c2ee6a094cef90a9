export * from './database.module';
export * from './data-source-options';
export * from './migrate';
export { MIGRATIONS } from './migrations';
export * from './database-status';
export * from './query-rows';
export * from './unit-of-work';
export * from './keyset';
