import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfig, ConfigModule } from '@app/config';
import { CommonModule, LoggingModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { RedisModule } from '@app/redis';
import { AdminModule } from '@app/admin';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { EmailModule } from '@app/email';
import { PasswordResetModule } from '@app/password-reset';
import { SessionsModule } from '@app/sessions';
import { UsersModule } from '@app/users';
import { WebhooksModule } from '@app/webhooks';

/**
 * The operator CLI's application context: the API's configuration, database and store, and the
 * libs whose services the commands call (admin, password reset), with their listeners — audit
 * (every change is recorded), webhooks (queued here, delivered by the API or the worker) and the
 * access-state cache (a disable or a revocation reaches Redis after the commit, exactly as through
 * the admin API). No HTTP, no scheduled jobs of its own.
 */
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        LoggingModule,
        EventEmitterModule.forRoot({ wildcard: false, ignoreErrors: false }),
        DatabaseModule,
        RedisModule,
        AuditModule,
        UsersModule,
        SessionsModule,
        AuthModule,
        EmailModule,
        AdminModule,
        PasswordResetModule,
        // a change made here is a webhook like one made over HTTP; the API or the worker delivers it
        WebhooksModule.forRoot({ deliver: false }),
      ],
    };
  }
}
