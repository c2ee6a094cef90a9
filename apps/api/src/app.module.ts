import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { AppConfig, ConfigModule } from '@app/config';
import { CommonModule, LoggingModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { RedisModule } from '@app/redis';
import { HealthModule } from '@app/health';
import { AdminModule } from '@app/admin';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { OAuthModule } from '@app/oauth';
import { EmailModule } from '@app/email';
import { EmailVerificationModule } from '@app/email-verification';
import { PasswordResetModule } from '@app/password-reset';
import { RetentionModule } from '@app/retention';
import { SessionsModule } from '@app/sessions';
import { UsersModule } from '@app/users';
import { WebhooksModule } from '@app/webhooks';

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
        AuditModule,
        UsersModule,
        SessionsModule,
        AuthModule,
        OAuthModule,
        AdminModule,
        EmailModule,
        EmailVerificationModule,
        PasswordResetModule,
        HealthModule,
        // the delivery job runs here unless WEBHOOKS_DELIVERY_IN_API=false (the worker always runs it)
        WebhooksModule.forRoot({ deliver: config.webhooks.deliveryInApi }),
        // the purge job runs in the worker; in embedded mode (one process, no worker) here
        RetentionModule.forRoot({ schedule: config.app.embedded }),
      ],
    };
  }
}
