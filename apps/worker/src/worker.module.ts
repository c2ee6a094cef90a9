import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfig, ConfigModule } from '@app/config';
import { CommonModule, LoggingModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { RedisModule } from '@app/redis';

/**
 * The background process: the same configuration, logging, database and store as the API, no
 * HTTP. Jobs (email outbox delivery, purge of expired sessions and tokens) are registered here by
 * the libs that own them once those exist; until then the worker only boots, migrates and waits.
 */
@Module({})
export class WorkerModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        LoggingModule,
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: false }),
        DatabaseModule,
        RedisModule,
      ],
    };
  }
}
