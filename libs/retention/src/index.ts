export * from './retention.module';
export { PurgeService, RETENTION, type PurgeOptions } from './purge.service';
export type { PurgeCounts, PurgePolicy } from './purge.repository';
