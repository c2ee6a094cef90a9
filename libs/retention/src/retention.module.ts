import { DynamicModule, Module } from '@nestjs/common';
import { PURGE_OPTIONS, PurgeOptions, PurgeService } from './purge.service';
import { PurgeRepository } from './purge.repository';

/**
 * Data retention: the purge job. The worker schedules it; the API only in embedded mode (one
 * process); anyone may call `PurgeService.runOnce()`.
 */
@Module({})
export class RetentionModule {
  static forRoot(options: PurgeOptions): DynamicModule {
    return {
      module: RetentionModule,
      providers: [{ provide: PURGE_OPTIONS, useValue: options }, PurgeRepository, PurgeService],
      exports: [PurgeService],
    };
  }
}
