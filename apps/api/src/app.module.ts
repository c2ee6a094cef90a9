import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfig, ConfigModule } from '@app/config';
import { CommonModule, LoggingModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { RedisModule } from '@app/redis';
import { HealthModule } from '@app/health';

/** Composes the libs; nothing else lives here. */
@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        LoggingModule,
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: false }),
        DatabaseModule,
        RedisModule,
        HealthModule,
      ],
    };
  }
}
