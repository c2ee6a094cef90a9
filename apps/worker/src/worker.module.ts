import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfig, ConfigModule } from '@app/config';
import { CommonModule, LoggingModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { RedisModule } from '@app/redis';
import { EmailModule } from '@app/email';
import { RetentionModule } from '@app/retention';
import { SessionsModule } from '@app/sessions';
import { TracingShutdown } from '@app/tracing';
import { WebhooksModule } from '@app/webhooks';

/**
 * The background process: the same configuration, logging, database and store as the API, no
 * HTTP. Jobs: email outbox delivery (EmailModule; main.ts forces it on here), webhook delivery
 * (WebhooksModule), the purge job (RetentionModule, scheduled) and the access-change replay
 * (SessionsModule). All are safe next to API nodes and other workers.
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
        EmailModule,
        // webhook delivery, whatever WEBHOOKS_DELIVERY_IN_API says for the API
        WebhooksModule.forRoot({ deliver: true }),
        RetentionModule.forRoot({ schedule: true }),
        // replays access changes the API nodes could not push to Redis
        SessionsModule,
      ],
      // Nest's shutdown hooks are the worker's shutdown path: the last spans leave with it
      providers: [TracingShutdown],
    };
  }
}
